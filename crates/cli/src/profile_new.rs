//! `certdesk profile new`: parses the flags, calls certdesk-flows' `make_profile`, writes the
//! file, the link and the QR code, and lays out what the server said.

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context as _};
use certdesk_core::fsutil::{write_atomic, FileMode};
use certdesk_core::profile::ProfileLink;
use certdesk_flows::profile_new::{make_profile, NewEnrollment, NewProfile};
use serde_json::json;

use crate::helpdesk::NewProfileArgs;
use crate::{render, Outcome};

/// Pixels per QR module in the PNG, and the quiet zone around it (in modules, as the QR
/// standard asks).
const PNG_MODULE_PX: u32 = 8;
const QUIET_MODULES: u32 = 4;

pub(crate) fn run(args: NewProfileArgs, as_json: bool) -> anyhow::Result<Outcome> {
    let enrollment = match (&args.est, &args.scep, &args.portal) {
        (Some(url), _, _) => NewEnrollment::Est {
            url: url.clone(),
            label: args.label.clone(),
        },
        (_, Some(_), _) => bail!(
            "`profile new --scep` is not written yet: write the SCEP profile by hand (docs/profile-format.md, examples/profiles/scep.toml) or use --est or --portal"
        ),
        (_, _, Some(url)) => NewEnrollment::Portal { url: url.clone() },
        _ => bail!("give --est URL or --portal URL"),
    };
    if let Some(qr) = &args.qr {
        qr_format(qr)?;
    }
    let ca_file = args
        .ca_file
        .as_deref()
        .map(|f| std::fs::read(f).with_context(|| format!("cannot read {}", f.display())))
        .transpose()?;
    let made = make_profile(&NewProfile {
        name: args.name.clone(),
        contact: args.contact.clone(),
        enrollment,
        ca_file,
        trust_fingerprint: args.trust_fingerprint.clone(),
        username: args.user.clone(),
        sites: args.sites.clone(),
        organization: args.org.clone(),
        organizational_unit: args.ou.clone(),
        timeout: Duration::from_secs(args.timeout.max(1)),
    })?;
    write_atomic(&args.out, made.text.as_bytes(), FileMode::Public)?;
    let link = match &args.publish_url {
        Some(url) => {
            let link = ProfileLink {
                url: url.trim().to_string(),
                sha256: Some(made.loaded.sha256.clone()),
            }
            .to_link();
            // The same checks a user's certdesk makes when the link is opened.
            certdesk_core::profile::parse_profile_link(&link)?;
            Some(link)
        }
        None => None,
    };
    if let (Some(qr), Some(link)) = (&args.qr, &link) {
        write_qr(qr, link)?;
    }
    if as_json {
        render::json(&json!({
            "file": args.out,
            "sha256": made.loaded.sha256,
            "link": link,
            "qr": args.qr,
            "pinned": made.pinned,
            "issuing_cas": made.issuing_cas,
            "key_wish": made.key_wish,
            "profile": made.loaded.profile,
        }))?;
        return Ok(Outcome::Success);
    }
    match &made.pinned {
        Some(ca) => {
            outln!("Pinned server CA (users' certdesk accepts only a server that chains to it):");
            outln!("  {}", ca.subject);
            outln!("  SHA-256 {}", ca.sha256);
        }
        None => outln!("The server is trusted by this computer's CA roots; no CA is pinned."),
    }
    if !made.issuing_cas.is_empty() {
        outln!("The server issues certificates from:");
        for ca in &made.issuing_cas {
            outln!("  {}  (SHA-256 {})", ca.subject, ca.sha256);
        }
    }
    match made.key_wish {
        Some(key) => {
            outln!("The server asks for {key} keys (csrattrs): the profile allows only those.")
        }
        None => outln!("The server asks for no key type: users may pick any."),
    }
    outln!(
        "Wrote {} (SHA-256 {}); it passes `certdesk profile check`.",
        args.out.display(),
        made.loaded.sha256
    );
    match &link {
        Some(link) => outln!("Link: {link}"),
        None => outln!(
            "Publish the file on an https:// server and run again with --publish-url URL for the certdesk:// link (or hand the file out as it is)."
        ),
    }
    if let Some(qr) = &args.qr {
        outln!("QR code of the link: {}", qr.display());
    }
    Ok(Outcome::Success)
}

enum QrFormat {
    Png,
    Svg,
}

fn qr_format(path: &Path) -> anyhow::Result<QrFormat> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("png") => Ok(QrFormat::Png),
        Some("svg") => Ok(QrFormat::Svg),
        _ => bail!(
            "--qr {}: name the file .png or .svg (the format follows the name)",
            path.display()
        ),
    }
}

/// Writes the QR code of `link` as PNG (black modules on white, 8 px each) or SVG.
fn write_qr(path: &Path, link: &str) -> anyhow::Result<()> {
    let code =
        qrcode::QrCode::new(link.as_bytes()).context("the link is too long for a QR code")?;
    let bytes = match qr_format(path)? {
        QrFormat::Svg => code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(256, 256)
            .quiet_zone(true)
            .build()
            .into_bytes(),
        QrFormat::Png => png_bytes(&code)?,
    };
    write_atomic(path, &bytes, FileMode::Public)?;
    Ok(())
}

fn png_bytes(code: &qrcode::QrCode) -> anyhow::Result<Vec<u8>> {
    let modules = u32::try_from(code.width()).context("QR code size")?;
    let colors = code.to_colors();
    let side_modules = modules + 2 * QUIET_MODULES;
    let side = side_modules * PNG_MODULE_PX;
    let mut pixels = Vec::with_capacity((side * side) as usize);
    for y in 0..side {
        let my = y / PNG_MODULE_PX;
        for x in 0..side {
            let mx = x / PNG_MODULE_PX;
            let dark = (QUIET_MODULES..QUIET_MODULES + modules).contains(&mx)
                && (QUIET_MODULES..QUIET_MODULES + modules).contains(&my)
                && colors[((my - QUIET_MODULES) * modules + (mx - QUIET_MODULES)) as usize]
                    == qrcode::Color::Dark;
            pixels.push(if dark { 0u8 } else { 255u8 });
        }
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().context("PNG header")?;
        writer.write_image_data(&pixels).context("PNG data")?;
    }
    Ok(out)
}
