//! `certdesk practice serve`: runs the built-in practice CA (certdesk-practice) until SIGINT or
//! SIGTERM, and tells a newcomer the exact commands for the whole flow.

use anyhow::Context as _;
use certdesk_core::duration::format_duration;
use certdesk_core::fsutil::{write_atomic, FileMode};
use certdesk_core::vault::os_vault;
use certdesk_core::wallet::{default_home, KeyAccess};
use certdesk_practice::{start, PracticeConfig, PracticeServer};
use clap::{Args, Subcommand};
use serde_json::json;

use super::Ctx;
use crate::Outcome;

/// Default ports: fixed, so the URLs stay the same between runs (0 picks free ones).
const DEFAULT_EST_PORT: u16 = 18443;
const DEFAULT_SITE_PORT: u16 = 18444;

#[derive(Debug, Subcommand)]
pub(crate) enum PracticeCmd {
    /// Run the practice CA: an EST endpoint with a demo enrollment code and an mTLS practice
    /// site on 127.0.0.1, until Ctrl+C.
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Port of the EST endpoint on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = DEFAULT_EST_PORT)]
    port: u16,
    /// Port of the practice site on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = DEFAULT_SITE_PORT)]
    site_port: u16,
    /// Lifetime of the certificates it issues: 90s, 10m, 12h, 90d… (at least 1m). Short ones
    /// let you watch `certdesk watch` renew them within minutes.
    #[arg(long, value_name = "DURATION", default_value = "90d", value_parser = parse_validity)]
    validity: std::time::Duration,
}

/// `--validity`: a duration within what the practice CA issues.
fn parse_validity(text: &str) -> Result<std::time::Duration, String> {
    let d = certdesk_core::duration::parse_duration(text).map_err(|e| e.to_string())?;
    let (min, max) = (
        certdesk_practice::MIN_CLIENT_VALIDITY,
        certdesk_practice::MAX_CLIENT_VALIDITY,
    );
    if d < min || d > max {
        return Err(format!(
            "the practice CA issues certificates of {} to {}",
            format_duration(min),
            format_duration(max)
        ));
    }
    Ok(d)
}

pub(crate) fn run(ctx: &Ctx, cmd: PracticeCmd) -> anyhow::Result<Outcome> {
    match cmd {
        PracticeCmd::Serve(args) => serve(ctx, args),
    }
}

fn serve(ctx: &Ctx, args: ServeArgs) -> anyhow::Result<Outcome> {
    let data_dir = ctx.wallet.home().join("practice");
    // The CA key is protected like wallet keys: by --passphrase-file when given, else by a
    // random secret in the OS keyring.
    let vault = os_vault();
    let access = KeyAccess {
        vault: vault.as_ref().ok().cloned(),
        passphrase: ctx.passphrase.clone(),
        pin: ctx.pin.clone(),
    };
    let server = match start(PracticeConfig {
        data_dir: data_dir.clone(),
        est_port: args.port,
        site_port: args.site_port,
        key_access: access,
        client_validity: args.validity,
    }) {
        Ok(s) => s,
        // Report why the keyring is unreachable rather than only that it is.
        Err(e @ certdesk_core::Error::NoKeyring { .. }) => {
            return Err(vault.err().unwrap_or(e).into())
        }
        Err(e) => return Err(e.into()),
    };
    // Listen for SIGINT/SIGTERM before announcing: whoever reads the announcement may stop us at
    // once, and a signal that arrives before the handler exists would kill the process without
    // removing the code file or stopping the servers.
    let signals = StopSignals::listen()?;
    let code_file = data_dir.join("enrollment-code");
    write_atomic(
        &code_file,
        format!("{}\n", server.demo_code.expose()).as_bytes(),
        FileMode::Private,
    )?;
    announce(ctx, &server, &code_file);

    let waited = signals.wait();
    let _ = std::fs::remove_file(&code_file);
    server.stop();
    waited?;
    if !ctx.json {
        eprintln!("Stopped the practice CA.");
    }
    Ok(Outcome::Success)
}

fn announce(ctx: &Ctx, server: &PracticeServer, code_file: &std::path::Path) {
    // `--home DIR` is repeated in the next commands unless it is the default wallet.
    let home = ctx.wallet.home();
    let home_arg = match default_home() {
        Ok(d) if d == home => String::new(),
        _ => format!(" --home {}", quote(&home.display().to_string())),
    };
    let pass_arg = if ctx.passphrase.is_some() {
        " --passphrase-file YOUR-PASSPHRASE-FILE"
    } else {
        ""
    };
    let next = [
        format!("certdesk{home_arg}{pass_arg} request new --name \"Alice Example\""),
        format!(
            "certdesk{home_arg}{pass_arg} enroll est ID --url {} --user {} --password-file {} --trust-fingerprint {}",
            server.est_url,
            server.demo_user,
            quote(&code_file.display().to_string()),
            server.ca_sha256_fingerprint
        ),
        format!(
            "certdesk{home_arg}{pass_arg} probe {} --identity ID --ca-file {}",
            server.site_url,
            quote(&server.ca_certificate_file.display().to_string())
        ),
    ];
    if ctx.json {
        let line = json!({
            "est_url": server.est_url,
            "site_url": server.site_url,
            "est_port": server.est_addr.port(),
            "site_port": server.site_addr.port(),
            "demo_user": server.demo_user,
            "demo_code": server.demo_code.expose(),
            "enrollment_code_file": code_file,
            "ca_sha256": server.ca_sha256_fingerprint,
            "ca_file": server.ca_certificate_file,
            "ca_created": server.ca_created,
            "validity": format_duration(server.client_validity),
            "validity_secs": server.client_validity.as_secs(),
            "next": next,
        });
        outln!("{line}");
    } else {
        outln!(
            "The certdesk practice CA is running ({} {}).",
            if server.ca_created {
                "created a new practice CA in"
            } else {
                "using the practice CA in"
            },
            server
                .ca_certificate_file
                .parent()
                .map_or_else(String::new, |p| p.display().to_string())
        );
        outln!("It is for trying certdesk only: nothing outside this computer trusts it.");
        outln!();
        outln!("  EST URL:          {}", server.est_url);
        outln!("  user:             {}", server.demo_user);
        outln!(
            "  enrollment code:  {}   (also in {}; valid until you stop this server)",
            server.demo_code.expose(),
            code_file.display()
        );
        outln!(
            "  CA fingerprint:   SHA-256 {}",
            server.ca_sha256_fingerprint
        );
        outln!(
            "  CA certificate:   {}",
            server.ca_certificate_file.display()
        );
        outln!(
            "  practice site:    {}  (needs a certificate from this CA)",
            server.site_url
        );
        outln!(
            "  certificates:     valid for {} from issue",
            format_duration(server.client_validity)
        );
        outln!();
        outln!("Try it in another terminal (ID is what the first command prints):");
        for line in &next {
            outln!("  {line}");
        }
        outln!();
        outln!("Stop with Ctrl+C.");
    }
}

/// Quotes a path for a POSIX shell when it needs it.
fn quote(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-:@+=,".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// Blocks until SIGINT (Ctrl+C) or SIGTERM.
/// SIGINT (Ctrl+C) and SIGTERM handlers, installed when created.
struct StopSignals {
    runtime: tokio::runtime::Runtime,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn listen() -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("could not start the signal handler")?;
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let entered = runtime.enter();
            let interrupt =
                signal(SignalKind::interrupt()).context("could not listen for Ctrl+C")?;
            let terminate =
                signal(SignalKind::terminate()).context("could not listen for SIGTERM")?;
            drop(entered);
            Ok(Self {
                runtime,
                interrupt,
                terminate,
            })
        }
        #[cfg(not(unix))]
        Ok(Self { runtime })
    }

    /// Blocks until one of the signals arrives.
    fn wait(self) -> anyhow::Result<()> {
        #[cfg(unix)]
        {
            let Self {
                runtime,
                mut interrupt,
                mut terminate,
            } = self;
            runtime.block_on(async {
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                }
            });
            Ok(())
        }
        #[cfg(not(unix))]
        self.runtime.block_on(async {
            tokio::signal::ctrl_c()
                .await
                .context("could not listen for Ctrl+C")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_quoted_only_when_needed() {
        assert_eq!(quote("/tmp/x/ca.pem"), "/tmp/x/ca.pem");
        assert_eq!(quote("/tmp/my dir/ca.pem"), "'/tmp/my dir/ca.pem'");
        assert_eq!(quote("/tmp/it's"), "'/tmp/it'\\''s'");
    }

    #[test]
    fn validity_is_kept_within_what_the_practice_ca_issues() {
        assert_eq!(parse_validity("10m").map(|d| d.as_secs()), Ok(600));
        assert_eq!(parse_validity("90d").map(|d| d.as_secs()), Ok(90 * 86_400));
        let short = parse_validity("30s").expect_err("too short");
        assert!(short.contains("1m to"), "{short}");
        assert!(parse_validity("5y").is_err());
        assert!(parse_validity("4000d").is_err());
    }
}
