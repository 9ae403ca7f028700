//! Make a request (key + CSR) from a help-desk profile, keep the profile with it, and record it.

use certdesk_core::csr::{CsrSpec, SubjectSpec};
use certdesk_core::enroll::ServerKeyWish;
use certdesk_core::history::{self, EventKind, HistoryEvent};
use certdesk_core::key::KeySpec;
use certdesk_core::profile::{self, LoadedProfile, TemplateInput};
use certdesk_core::secret::SecretString;
use certdesk_core::wallet::{Identity, KeyProtection, NewRequest, Wallet};

use crate::Result;

/// What the person gave for a request from a profile (every field optional: the profile's
/// template fills or refuses).
#[derive(Debug, Default)]
pub struct ProfileRequest {
    /// Their name (the subject's common name).
    pub name: Option<String>,
    /// Their e-mail address.
    pub email: Option<String>,
    /// A full subject DN, whose fixed parts must match the profile.
    pub subject: Option<SubjectSpec>,
    /// A Windows UPN for the subject alternative name.
    pub upn: Option<String>,
    /// A key type; without one, the EST server's wish when the profile allows it.
    pub key: Option<KeySpec>,
    /// A label; without one, "CN (device)".
    pub label: Option<String>,
    /// The device name in the label; without one, this computer's name.
    pub device: Option<String>,
    /// An enrollment code for CAs that read the challengePassword attribute.
    pub challenge_password: Option<SecretString>,
    /// Which front end asks (`cli`, `app`), for the wallet and the history.
    pub via: String,
}

/// The new request and how its key type was chosen.
#[derive(Debug)]
pub struct ProfileRequestOutcome {
    /// The pending identity.
    pub identity: Identity,
    /// What the profile's EST server asked for in /csrattrs, when no key type was given and it
    /// named one (`allowed` says whether it was used).
    pub server_key_wish: Option<ServerKeyWish>,
}

/// Creates a key and a request from `loaded`'s template, keeps the profile with the identity
/// and records a "Requested" event naming the profile.
///
/// Issue #13: the app's request from a profile recorded no "Requested" event, so its
/// help-desk report did not say which profile the request came from.
pub fn request_from_profile(
    wallet: &Wallet,
    loaded: &LoadedProfile,
    request: ProfileRequest,
    protection: &KeyProtection,
) -> Result<ProfileRequestOutcome> {
    // Issue #3: with no key type chosen, the one the profile's EST server asks for in
    // /csrattrs, when the profile allows it.
    let server_key_wish = match request.key {
        Some(_) => None,
        None => certdesk_core::enroll::profile_key_wish(&loaded.profile),
    };
    let key = request.key.or_else(|| {
        server_key_wish
            .as_ref()
            .filter(|w| w.allowed)
            .map(|w| w.key)
    });
    let (mut subject, key_type) = profile::apply_template(
        &loaded.profile,
        &TemplateInput {
            name: request.name,
            email: request.email,
            subject: request.subject,
            key,
        },
    )?;
    subject.upn = request.upn;
    // One certificate per device (issue #7): the label says which computer holds the key.
    let device = request.device.or_else(profile::this_device_name);
    let label = profile::device_label(
        &subject.common_name,
        request.label.as_deref(),
        device.as_deref(),
    );
    let identity = wallet.create_request(
        &NewRequest {
            label,
            csr: CsrSpec {
                subject,
                challenge_password: request.challenge_password,
            },
            key_type,
            via: request.via.clone(),
        },
        protection,
    )?;
    profile::store_with_identity(wallet, &identity.id, loaded)?;
    let mut event = HistoryEvent::now(EventKind::Requested)
        .via(&request.via)
        .message(format!(
            "profile \"{}\" from {}",
            loaded.profile.name, loaded.origin
        ));
    event.target = loaded.profile.enroll.method.url().map(str::to_string);
    history::record(wallet, &identity.id, &event)?;
    Ok(ProfileRequestOutcome {
        identity,
        server_key_wish,
    })
}
