#!/usr/bin/env bash
# The Windows CLI (certdesk.exe, x86_64-pc-windows-gnu) run under Debian's Wine (issue #17).
#
# A private WINEPREFIX per run (no display needed), the ProcessPrng stub DLL that Wine 8 lacks
# (tests/wine/processprng.c, FACTS.md), then, with the exe's default wallet (%APPDATA%\certdesk)
# and the real Credential Manager and CurrentUser\My of that prefix:
#   - a request with an RSA and with an ECDSA key, signed by `openssl ca`, imported;
#   - the wrapping secret found in Wine's Credential Manager (reg.exe), the key file encrypted;
#   - both PKCS#12 profiles exported and read back by openssl (algorithms, key matches cert);
#   - `request email` (.eml with CRLF lines) and `export pem`, read back by openssl;
#   - `install --to windows` into CurrentUser\My (PFXImportCertStore), seen by `stores`, then
#     `uninstall --from windows`; the ECDSA identity meets Wine's known limit (README table);
#   - `probe` of a local nginx with ssl_verify_client from the Windows binary, with and
#     without a certificate;
#   - `identity delete` removes the secret from the Credential Manager.
#
# Usage: scripts/wine-suite.sh [PATH/TO/certdesk.exe]
# Without an argument the exe is built first (profile lint-windows, which the test command's
# Windows lint already compiled, so only the final link and our crates are new work).
# Missing wine, mingw-w64, openssl or nginx is a failure, never a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

for tool in wine wineboot winepath x86_64-w64-mingw32-gcc openssl nginx jq; do
  command -v "$tool" >/dev/null || {
    echo "wine-suite: FAILED: $tool is not installed (scripts/install-deps.sh installs it)" >&2
    exit 1
  }
done

exe=${1:-}
if [[ -z "$exe" ]]; then
  cargo build -p certdesk-cli --target x86_64-pc-windows-gnu --profile lint-windows
  exe=$repo/target/x86_64-pc-windows-gnu/lint-windows/certdesk.exe
fi
exe=$(realpath "$exe")

work=$(mktemp -d /tmp/certdesk-wine.XXXXXX)
nginx_pid=""
cleanup() {
  local status=$?
  if [[ -n "$nginx_pid" ]] && kill -0 "$nginx_pid" 2>/dev/null; then
    kill "$nginx_pid" && wait "$nginx_pid" 2>/dev/null || true
  fi
  # The prefix's own wineserver (and the services it started) end with it.
  if [[ -d "$work/prefix" ]]; then
    WINEPREFIX=$work/prefix wineserver -k 2>/dev/null || true
    WINEPREFIX=$work/prefix wineserver -w 2>/dev/null || true
  fi
  if ((status == 0)); then
    rm -rf "$work"
  else
    echo "wine-suite: FAILED; the run's files are kept in $work" >&2
  fi
}
trap cleanup EXIT

export WINEPREFIX=$work/prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
# Wine hands the Unix environment to Windows programs: the wallet must be the exe's default.
unset CERTDESK_HOME
cd "$work"

checks=0
ok() {
  checks=$((checks + 1))
  printf 'ok %d - %s\n' "$checks" "$1"
}
fail() {
  printf 'not ok - %s\n' "$1" >&2
  exit 1
}

# win ARG…: the Windows CLI; stdout without CR, stderr to $work/stderr, exit status kept.
win() {
  local rc=0
  wine "$exe" "$@" 2>"$work/stderr" | tr -d '\r' >"$work/stdout" || rc=$?
  tr -d '\r' <"$work/stderr" >"$work/stderr.txt"
  return "$rc"
}
win_ok() {
  win "$@" || {
    cat "$work/stdout" "$work/stderr.txt" >&2
    fail "certdesk.exe $* exited non-zero"
  }
}

t0=$SECONDS
wine wineboot -i >/dev/null 2>&1
x86_64-w64-mingw32-gcc -shared -O2 -s -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
  "$repo/tests/wine/processprng.c" -ladvapi32
echo "wine-suite: $(wine --version), prefix ready in $((SECONDS - t0)) s"
# %APPDATA% as Windows programs see it, as a Unix path.
appdata=$(winepath -u "$(wine cmd /c 'echo %APPDATA%' 2>/dev/null | tr -d '\r')" 2>/dev/null)
[[ -d "$appdata" ]] || fail "%APPDATA% of the prefix ($appdata) exists"

win_ok --version
grep -q "^certdesk" "$work/stdout" || fail "--version prints the name"
ok "certdesk.exe starts under Wine (ProcessPrng stub in the private prefix)"
win_ok --help
grep -qF 'else %APPDATA%\certdesk)' "$work/stdout" || fail "--help names the Windows wallet folder: $(grep -F -- --home "$work/stdout")"
win_ok install --help
grep -qF 'windows (CurrentUser\My, "Personal")' "$work/stdout" || fail "install --help names the Windows store"
ok "--help names %APPDATA%\\certdesk and CurrentUser\\My"

# --- an openssl CA (openssl ca, as a help desk signs by hand) ---------------------------------
mkdir -p ca/newcerts
: >ca/index.txt
echo 1000 >ca/serial
cat >ca/ca.cnf <<'EOF'
[ca]
default_ca = ca_default
[ca_default]
dir = ca
database = $dir/index.txt
new_certs_dir = $dir/newcerts
serial = $dir/serial
certificate = $dir/ca.pem
private_key = $dir/ca.key
default_md = sha256
default_days = 30
policy = policy_any
unique_subject = no
copy_extensions = none
x509_extensions = client_cert
[policy_any]
commonName = supplied
[client_cert]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca/ca.key -out ca/ca.pem -days 30 \
  -subj "/CN=certdesk Wine suite CA" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

declare -A ids
for kind in rsa-2048 ec-p256; do
  win_ok request new --name "Wine ${kind}" --key "$kind" --json
  id=$(jq -er .id "$work/stdout")
  [[ $(jq -er .key_type "$work/stdout") == "$kind" ]] || fail "request new reports the key type $kind"
  ids[$kind]=$id
  win_ok request export "$id" --out "req-$kind.pem"
  openssl req -in "req-$kind.pem" -noout -verify 2>&1 | grep -q "verify OK" ||
    fail "openssl verifies the $kind request's signature"
  openssl req -in "req-$kind.pem" -noout -subject | grep -q "CN *= *Wine ${kind}" ||
    fail "the $kind request has the subject"
  ok "request new + export ($kind): openssl verifies the request"

  # Wallet under %APPDATA%\certdesk, the key encrypted, its secret in the Credential Manager.
  wallet="$appdata/certdesk/identities/$id"
  [[ -f "$wallet/key.pem" && -f "$wallet/identity.json" ]] ||
    fail "the identity is in %APPDATA%\\certdesk ($wallet)"
  grep -q "BEGIN ENCRYPTED PRIVATE KEY" "$wallet/key.pem" || fail "the key file is encrypted"
  ! grep -q "BEGIN PRIVATE KEY" "$wallet/key.pem" || fail "no plaintext key in the wallet"
  wine reg query "HKCU\\Software\\Wine\\Credential Manager\\Generic: $id.certdesk" 2>/dev/null |
    tr -d '\r' | grep -q "Password *REG_BINARY" ||
    fail "the wrapping secret of $id is in the Credential Manager (CredWriteW)"
  ok "wallet in %APPDATA%\\certdesk, key encrypted, wrapping secret in the Credential Manager ($kind)"

  openssl ca -batch -config ca/ca.cnf -in "req-$kind.pem" -out "reply-$kind.pem" 2>/dev/null ||
    fail "openssl ca signs the $kind request"
  win_ok import "reply-$kind.pem" --json
  [[ $(jq -er .identity.id "$work/stdout") == "$id" ]] || fail "the reply is matched to its identity by key"
  win_ok identity show "$id" --json
  [[ $(jq -er .summary.status "$work/stdout") == issued ]] || fail "the $kind identity is issued"
  ok "import of the openssl ca reply ($kind)"
done

# --- PKCS#12 exports (the key unwrapped with the secret read by CredReadW) -------------------
printf 'wine-suite export password\n' >p12pass.txt
for kind in rsa-2048 ec-p256; do
  id=${ids[$kind]}
  openssl x509 -in "reply-$kind.pem" -noout -pubkey >"cert-$kind.pub"
  for profile in modern compatible; do
    win_ok export p12 "$id" --profile "$profile" --password-file p12pass.txt --out "$kind-$profile.p12"
    info=$(openssl pkcs12 -in "$kind-$profile.p12" -passin file:p12pass.txt -info -nokeys -nocerts 2>&1) ||
      fail "openssl reads $kind-$profile.p12: $info"
    case $profile in
    modern) grep -q "PBES2, PBKDF2, AES-256-CBC" <<<"$info" || fail "modern is AES-256/PBKDF2: $info" ;;
    compatible) grep -q "pbeWithSHA1And3-KeyTripleDES-CBC" <<<"$info" || fail "compatible is 3DES: $info" ;;
    esac
    openssl pkcs12 -in "$kind-$profile.p12" -passin file:p12pass.txt -nocerts -nodes 2>/dev/null |
      openssl pkey -pubout >"p12-$kind.pub" || fail "openssl extracts the key of $kind-$profile.p12"
    cmp -s "p12-$kind.pub" "cert-$kind.pub" || fail "the .p12 key of $kind matches its certificate"
    ok "export p12 --profile $profile ($kind): openssl reads it, key matches certificate"
  done
done

# --- PEM export and the administrator email: line endings ------------------------------------
win_ok export pem "${ids[rsa-2048]}" --cert-out chain.pem
openssl x509 -in chain.pem -noout || fail "openssl reads the exported PEM chain"
grep -q $'\r' chain.pem && fail "PEM files are written with LF (openssl, certutil and CryptStringToBinary read both)"
win_ok request email "${ids[ec-p256]}" --to admin@example.org --out request.eml
[[ -s request.eml ]] || fail "request email writes the .eml"
if grep -qv $'\r$' request.eml; then
  fail ".eml lines end in CRLF (RFC 5322 section 2.1): $(grep -cv $'\r$' request.eml) bare LF lines"
fi
ok "PEM export (LF) and .eml (CRLF) line endings"

# --- CurrentUser\My through PFXImportCertStore ------------------------------------------------
rsa=${ids[rsa-2048]}
rsa_sha256=$(openssl x509 -in reply-rsa-2048.pem -noout -fingerprint -sha256 | cut -d= -f2)
win_ok install "$rsa" --to windows --json
jq -e '[.results[] | select(.store.kind == "windows" and .status == "installed")] | length == 1' \
  "$work/stdout" >/dev/null || {
  cat "$work/stdout" >&2
  fail "install --to windows reports installed"
}
win_ok stores --json
jq -e --arg id "$rsa" '[.identities[] | select(.id == $id) | .installed_in[] | select(.store.kind == "windows" and .nickname == "Wine rsa-2048")] | length == 1' \
  "$work/stdout" >/dev/null || {
  cat "$work/stdout" >&2
  fail "stores lists the RSA identity in CurrentUser\\My"
}
ok "install --to windows (RSA): CurrentUser\\My lists it with its friendly name, key reachable"
win_ok install "$rsa" --to windows --json
jq -e '[.results[] | select(.store.kind == "windows" and .status == "already_installed")] | length == 1' \
  "$work/stdout" >/dev/null || {
  cat "$work/stdout" >&2
  fail "a second install says already installed"
}
ok "install --to windows again: already installed"
# Wine 8 writes a registry store's deletions only on CertControlStore(COMMIT) or when its last
# reference goes, which schannel's handles never reach (README, Wine limits): uninstall reads
# the store again and must not claim a removal that did not happen.
un_rc=0
win uninstall "$rsa" --from windows --json || un_rc=$?
if ((un_rc == 0)); then
  win_ok stores --json
  jq -e --arg id "$rsa" '[.identities[] | select(.id == $id) | .installed_in[] | select(.store.kind == "windows")] | length == 0' \
    "$work/stdout" >/dev/null || fail "uninstall said removed, but CurrentUser\\My still has $rsa_sha256"
  ok "uninstall --from windows (RSA): gone from CurrentUser\\My"
else
  jq -e '.error.kind == "store_failed" and (.error.message | test("still lists it"))' "$work/stdout" >/dev/null || {
    cat "$work/stdout" "$work/stderr.txt" >&2
    fail "a removal that did not persist is reported as store_failed (exit $un_rc)"
  }
  ((un_rc == 2)) || fail "a failed uninstall exits 2 (was $un_rc)"
  echo "wine-suite: known Wine limit, delete from CurrentUser\\My not persisted: $(jq -r .error.message "$work/stdout")"
  ok "uninstall --from windows (RSA): the store is read again, no false 'removed' (Wine limit)"
fi

# Wine 8's crypt32 cannot import an ECDSA key from a PKCS#12 ("key algorithm 4", README table);
# real Windows can. The suite records what happens; the message must be certdesk's, not a crash.
ec_rc=0
win install "${ids[ec-p256]}" --to windows || ec_rc=$?
if ((ec_rc == 0)); then
  echo "wine-suite: note: this Wine imported an ECDSA PKCS#12 into CurrentUser\\My (the README's limit table is out of date)"
  win_ok uninstall "${ids[ec-p256]}" --from windows
else
  ((ec_rc == 2)) || fail "a failed ECDSA install exits 2 (was $ec_rc)"
  grep -q "^error: " "$work/stderr.txt" || fail "a failed ECDSA install prints one error line"
  echo "wine-suite: known Wine limit, ECDSA into CurrentUser\\My: $(head -1 "$work/stderr.txt")"
fi
ok "install --to windows (ECDSA): a clean outcome (exit $ec_rc)"

# --- probe a local nginx from the Windows binary ----------------------------------------------
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
openssl x509 -req -in server.csr -CA ca/ca.pem -CAkey ca/ca.key -CAcreateserial -days 30 \
  -extfile server.ext -out server.pem 2>/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p nginx/logs
user_line=""
((EUID == 0)) && user_line="user root root;"
cat >nginx/nginx.conf <<EOF
$user_line
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log;
events { worker_connections 64; }
http {
  access_log $work/nginx/logs/access.log;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  server {
    listen 127.0.0.1:$port ssl;
    ssl_certificate $work/server.pem;
    ssl_certificate_key $work/server.key;
    ssl_client_certificate $work/ca/ca.pem;
    ssl_verify_client on;
    location / { default_type text/plain; return 200 "hello \$ssl_client_s_dn\n"; }
  }
}
EOF
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  kill -0 "$nginx_pid" 2>/dev/null || fail "nginx did not start: $(cat nginx/logs/error.log)"
  sleep 0.05
done
url="https://127.0.0.1:$port/"
for kind in rsa-2048 ec-p256; do
  win_ok probe "$url" --identity "${ids[$kind]}" --ca-file ca/ca.pem --timeout 10 --json
  jq -e '.verdict | tostring | test("accept"; "i")' "$work/stdout" >/dev/null || {
    cat "$work/stdout" >&2
    fail "nginx accepts the $kind identity presented by certdesk.exe"
  }
  ok "probe $url with the $kind identity: accepted"
done
no_rc=0
win probe "$url" --ca-file ca/ca.pem --timeout 10 --json || no_rc=$?
((no_rc == 1)) || {
  cat "$work/stdout" "$work/stderr.txt" >&2
  fail "probe without a certificate exits 1 (site rejected), was $no_rc"
}
ok "probe $url without a certificate: rejected (exit 1)"
kill "$nginx_pid"
wait "$nginx_pid" 2>/dev/null || true
nginx_pid=""

# --- identity delete removes the Credential Manager entry (CredDeleteW) -----------------------
ec=${ids[ec-p256]}
win_ok identity delete "$ec"
if wine reg query "HKCU\\Software\\Wine\\Credential Manager\\Generic: $ec.certdesk" >/dev/null 2>&1; then
  fail "identity delete removes the wrapping secret from the Credential Manager"
fi
[[ ! -e "$appdata/certdesk/identities/$ec" ]] ||
  fail "identity delete removes the identity folder"
ok "identity delete: folder and Credential Manager entry gone"

echo "wine-suite: $checks checks passed in $((SECONDS - t0)) s"
