/* bcryptprimitives.dll for Wine 8: Rust's std (>= 1.78) imports ProcessPrng from it for its
 * hash-map seeds and OS randomness, and Wine 8 has no such DLL, so every Rust exe dies at load
 * with status c0000135 (FACTS.md, "Windows code under Wine 8"). Windows 10+ ships the real one.
 * This stub forwards to RtlGenRandom (advapi32's SystemFunction036), the documented CSPRNG
 * entry point Wine does implement. Built by scripts/wine-suite.sh with x86_64-w64-mingw32-gcc
 * and copied into the run's private WINEPREFIX only; it never ships with certdesk. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
