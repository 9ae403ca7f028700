//! From the wallet into the stores: builds the PKCS#12 each store's importer takes (once per
//! profile, under a random one-time password, only when a store needs it), installs it, and
//! after a renewal puts the new certificate wherever the old one was. The CLI and the desktop
//! app both install through here.

use std::collections::BTreeMap;
use std::path::Path;

use certdesk_core::secret::{generate_password, SecretString};
use certdesk_core::wallet::{Identity, KeyAccess, Wallet};
use zeroize::Zeroizing;

use crate::{InstallItem, InstallOutcome, Result, StoreTarget};

/// A one-time password and the PKCS#12 encrypted under it.
type OneTimeP12 = (SecretString, Zeroizing<Vec<u8>>);

/// Installs identities from one wallet. The PKCS#12 files it builds live in memory for as long
/// as the `Handover` does, so one installation into several stores unlocks the key once per
/// PKCS#12 profile; an identity already installed everywhere never unlocks it at all.
pub struct Handover<'w> {
    wallet: &'w Wallet,
    access: &'w KeyAccess,
    /// `(identity id, profile)` → one-time password and PKCS#12 bytes (both zeroized on drop:
    /// together they open the key).
    p12s: BTreeMap<(String, &'static str), OneTimeP12>,
}

impl std::fmt::Debug for Handover<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handover")
            .field("wallet", &self.wallet.home())
            .field("p12s_built", &self.p12s.len())
            .finish_non_exhaustive()
    }
}

impl<'w> Handover<'w> {
    /// A hand-over from `wallet`, unlocking keys with `access`.
    pub fn new(wallet: &'w Wallet, access: &'w KeyAccess) -> Self {
        Handover {
            wallet,
            access,
            p12s: BTreeMap::new(),
        }
    }

    /// Installs `identity` (certificate, key and chain) into `target`. A certificate already
    /// there (matched by SHA-256) answers [`InstallOutcome::AlreadyInstalled`] without touching
    /// the key. A key that cannot be unlocked is [`crate::Error::Core`]; the store's own
    /// refusals keep their variants. `nss_password` is the database's primary password.
    pub fn install(
        &mut self,
        identity: &Identity,
        target: &StoreTarget,
        nss_password: Option<&SecretString>,
    ) -> Result<InstallOutcome> {
        // `chain_der` is the leaf first, or NotIssued for a request still waiting.
        let chain = identity.chain_der()?;
        let cert_der = &chain[0];
        if let Some(token) = identity.protection.token() {
            // Issue #15: the browser reaches the key through the token's module; nothing is
            // copied (and the wallet holds no key to copy).
            return crate::register_token_module(target, &token.module);
        }
        // Stores that cannot be read live (macOS, for now) answer inside `install` instead.
        if let Ok(Some(nickname)) =
            crate::find_installed(target, &crate::sha256_fingerprint(cert_der))
        {
            return Ok(InstallOutcome::AlreadyInstalled {
                store: target.clone(),
                nickname,
                warnings: Vec::new(),
            });
        }
        let profile = target.p12_profile();
        let key = (identity.id.clone(), profile.as_str());
        if !self.p12s.contains_key(&key) {
            let password = generate_password();
            let bytes = Zeroizing::new(self.wallet.export_pkcs12(
                &identity.id,
                self.access,
                &password,
                profile,
            )?);
            self.p12s.insert(key.clone(), (password, bytes));
        }
        let (password, bytes) = &self.p12s[&key];
        crate::install(
            target,
            &InstallItem {
                p12_der: bytes,
                p12_password: password,
                nickname: &identity.label,
                cert_der,
            },
            nss_password,
        )
    }
}

/// One store's part of [`replace_renewed`].
#[derive(Debug)]
pub struct Replacement {
    /// The store that held the old certificate.
    pub store: StoreTarget,
    /// `Ok` when the new certificate replaced the old one there.
    pub result: Result<()>,
}

/// After a renewal: in every store under `home` that holds the identity's previous certificate
/// (`old_chain`, leaf first), removes it and installs the renewed one. Stores that never held
/// it are left alone. A store that fails is reported in its [`Replacement`] and does not stop
/// the others; the wallet keeps the key and the new certificate either way, so
/// `certdesk install` can finish the job later.
pub fn replace_renewed(
    wallet: &Wallet,
    access: &KeyAccess,
    id: &str,
    old_chain: &[Vec<u8>],
    home: &Path,
) -> Result<Vec<Replacement>> {
    let Some(old_leaf) = old_chain.first() else {
        return Ok(Vec::new());
    };
    let old_sha = crate::sha256_fingerprint(old_leaf);
    let identity = wallet.get(id)?;
    let mut handover = Handover::new(wallet, access);
    let mut out = Vec::new();
    for store in crate::detect_targets(home)?
        .into_iter()
        .filter(|s| s.exists)
    {
        if !matches!(crate::find_installed(&store.target, &old_sha), Ok(Some(_))) {
            continue;
        }
        let result = crate::uninstall(&store.target, old_leaf, old_chain, None)
            .and_then(|_| handover.install(&identity, &store.target, None))
            .map(|_| ());
        out.push(Replacement {
            store: store.target,
            result,
        });
    }
    Ok(out)
}
