//! The schedule that runs `certdesk watch --once` daily without the app open (issue #16): a
//! systemd user timer and service on Linux, a LaunchAgent on macOS, a Task Scheduler task on
//! Windows. Each file's text is made by a pure function here (tested on every platform); the
//! front end writes it and asks the OS to load it.

use std::path::Path;

/// Name of the systemd units (`certdesk-watch.service`, `certdesk-watch.timer`) and of the
/// Windows task.
pub const UNIT_NAME: &str = "certdesk-watch";
/// Label of the macOS LaunchAgent (and its file name, with `.plist`).
pub const LAUNCH_AGENT_LABEL: &str = "org.certdesk.watch";
/// Spread of the daily run (systemd `RandomizedDelaySec`), so a fleet does not renew at once.
pub const RANDOMIZED_DELAY_SECS: u64 = 3600;

/// The command a schedule runs: `certdesk --home WALLET watch --once`.
pub fn watch_arguments(wallet_home: &Path) -> Vec<String> {
    vec![
        "--home".into(),
        wallet_home.display().to_string(),
        "watch".into(),
        "--once".into(),
    ]
}

/// One word of a systemd `ExecStart=`: quoted, with `\`, `"` and specifiers (`%`) escaped
/// (systemd.service(5) "Command lines", systemd.unit(5) "Specifiers").
fn systemd_word(word: &str) -> String {
    let mut out = String::from("\"");
    for c in word.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '%' => out.push_str("%%"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The systemd user units: (`certdesk-watch.service`, `certdesk-watch.timer`).
///
/// The service is a oneshot that runs the watch; exit status 1 ("something needs you",
/// already said in a notification) counts as success so that the unit is not marked failed.
/// The timer runs it daily, catches up after the computer was off (`Persistent=true`) and
/// spreads the start over an hour.
pub fn systemd_units(exe: &Path, wallet_home: &Path) -> (String, String) {
    let mut exec = vec![systemd_word(&exe.display().to_string())];
    exec.extend(watch_arguments(wallet_home).iter().map(|a| systemd_word(a)));
    let service = format!(
        "[Unit]\n\
         Description=certdesk: renew client certificates that are due\n\
         \n\
         [Service]\n\
         Type=oneshot\n\
         ExecStart={}\n\
         SuccessExitStatus=1\n",
        exec.join(" ")
    );
    let timer = format!(
        "[Unit]\n\
         Description=Daily certdesk certificate watch\n\
         \n\
         [Timer]\n\
         OnCalendar=daily\n\
         Persistent=true\n\
         RandomizedDelaySec={RANDOMIZED_DELAY_SECS}\n\
         \n\
         [Install]\n\
         WantedBy=timers.target\n"
    );
    (service, timer)
}

/// The macOS LaunchAgent (`~/Library/LaunchAgents/org.certdesk.watch.plist`): daily at 09:30
/// local time (launchd runs a missed calendar interval when the Mac wakes) and once at login.
pub fn launch_agent_plist(exe: &Path, wallet_home: &Path) -> String {
    use plist::{Dictionary, Value};
    let mut args = vec![Value::String(exe.display().to_string())];
    args.extend(watch_arguments(wallet_home).into_iter().map(Value::String));
    let mut when = Dictionary::new();
    when.insert("Hour".into(), Value::Integer(9.into()));
    when.insert("Minute".into(), Value::Integer(30.into()));
    let mut agent = Dictionary::new();
    agent.insert("Label".into(), Value::String(LAUNCH_AGENT_LABEL.into()));
    agent.insert("ProgramArguments".into(), Value::Array(args));
    agent.insert("StartCalendarInterval".into(), Value::Dictionary(when));
    agent.insert("RunAtLoad".into(), Value::Boolean(true));
    agent.insert("ProcessType".into(), Value::String("Background".into()));
    let mut out = Vec::new();
    // Writing a dictionary of strings, numbers and booleans into memory cannot fail.
    if Value::Dictionary(agent).to_writer_xml(&mut out).is_err() {
        return String::new();
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Escapes text for XML content and attribute values.
fn xml_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// One argument of a Windows command line, quoted as `CommandLineToArgvW` reads it back.
fn windows_arg(arg: &str) -> String {
    if !arg.is_empty() && !arg.chars().any(|c| c == ' ' || c == '\t' || c == '"') {
        return arg.to_string();
    }
    let mut out = String::from("\"");
    let mut backslashes = 0;
    for c in arg.chars() {
        match c {
            '\\' => backslashes += 1,
            '"' => {
                out.push_str(&"\\".repeat(backslashes * 2 + 1));
                out.push('"');
                backslashes = 0;
            }
            c => {
                out.push_str(&"\\".repeat(backslashes));
                out.push(c);
                backslashes = 0;
            }
        }
    }
    out.push_str(&"\\".repeat(backslashes * 2));
    out.push('"');
    out
}

/// The Windows Task Scheduler task (`schtasks /Create /TN certdesk-watch /XML FILE`): daily,
/// started as soon as possible after a missed start (`StartWhenAvailable`), with up to an hour
/// of random delay, as the user who installs it, only when logged on (notifications need the
/// desktop).
pub fn task_scheduler_xml(exe: &Path, wallet_home: &Path) -> String {
    let args: Vec<String> = watch_arguments(wallet_home)
        .iter()
        .map(|a| windows_arg(a))
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Description>certdesk: renew client certificates that are due</Description>
  </RegistrationInfo>
  <Triggers>
    <CalendarTrigger>
      <StartBoundary>2026-01-01T09:30:00</StartBoundary>
      <RandomDelay>PT1H</RandomDelay>
      <ScheduleByDay>
        <DaysInterval>1</DaysInterval>
      </ScheduleByDay>
    </CalendarTrigger>
  </Triggers>
  <Principals>
    <Principal id="Author">
      <LogonType>InteractiveToken</LogonType>
      <RunLevel>LeastPrivilege</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <StartWhenAvailable>true</StartWhenAvailable>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <ExecutionTimeLimit>PT1H</ExecutionTimeLimit>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>{}</Command>
      <Arguments>{}</Arguments>
    </Exec>
  </Actions>
</Task>
"#,
        xml_text(&exe.display().to_string()),
        xml_text(&args.join(" "))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXE: &str = "/opt/cert desk/bin/certdesk";
    const WALLET: &str = "/home/ada/50% \"mine\"/certdesk";

    #[test]
    fn the_systemd_units_run_the_watch_daily_persistently_with_a_random_delay() {
        let (service, timer) = systemd_units(Path::new(EXE), Path::new(WALLET));
        assert!(service.contains(
            "ExecStart=\"/opt/cert desk/bin/certdesk\" \"--home\" \"/home/ada/50%% \\\"mine\\\"/certdesk\" \"watch\" \"--once\"\n"
        ), "{service}");
        assert!(service.contains("Type=oneshot\n"));
        assert!(service.contains("SuccessExitStatus=1\n"));
        for line in [
            "OnCalendar=daily\n",
            "Persistent=true\n",
            "RandomizedDelaySec=3600\n",
            "WantedBy=timers.target\n",
        ] {
            assert!(timer.contains(line), "{line} in {timer}");
        }
    }

    #[test]
    fn the_launch_agent_reads_back_as_the_same_command_and_schedule() {
        let text = launch_agent_plist(Path::new(EXE), Path::new(WALLET));
        let value = plist::Value::from_reader_xml(text.as_bytes()).expect("plist parses back");
        let dict = value.as_dictionary().expect("a dictionary");
        assert_eq!(
            dict.get("Label").and_then(|v| v.as_string()),
            Some(LAUNCH_AGENT_LABEL)
        );
        let args: Vec<&str> = dict
            .get("ProgramArguments")
            .and_then(|v| v.as_array())
            .expect("ProgramArguments")
            .iter()
            .filter_map(|v| v.as_string())
            .collect();
        assert_eq!(args, [EXE, "--home", WALLET, "watch", "--once"]);
        let when = dict
            .get("StartCalendarInterval")
            .and_then(|v| v.as_dictionary())
            .expect("StartCalendarInterval");
        assert_eq!(
            when.get("Hour").and_then(|v| v.as_signed_integer()),
            Some(9)
        );
        assert_eq!(
            dict.get("RunAtLoad").and_then(|v| v.as_boolean()),
            Some(true)
        );
    }

    #[test]
    fn the_windows_task_parses_as_xml_with_the_command_and_daily_trigger() {
        use quick_xml::events::Event;
        let exe = r"C:\Program Files\certdesk\certdesk.exe";
        let wallet = r#"C:\Users\Ada & Bob\AppData\Roaming\certdesk"#;
        let text = task_scheduler_xml(Path::new(exe), Path::new(wallet));
        let mut reader = quick_xml::Reader::from_str(&text);
        let mut path: Vec<String> = Vec::new();
        // Each element's text, entity references resolved by the parser's own table.
        let mut found: Vec<(String, String)> = Vec::new();
        let mut current = String::new();
        loop {
            match reader.read_event().expect("well-formed XML") {
                Event::Start(e) => {
                    path.push(e.name().as_ref().to_string());
                    current.clear();
                }
                Event::End(_) => {
                    if !current.trim().is_empty() {
                        found.push((path.join("/"), std::mem::take(&mut current)));
                    }
                    current.clear();
                    path.pop();
                }
                Event::Text(t) => current.push_str(&t.xml10_content()),
                Event::GeneralRef(r) => {
                    let name = r.xml10_content();
                    let resolved = quick_xml::escape::resolve_predefined_entity(&name)
                        .unwrap_or_else(|| panic!("unknown entity {name}"));
                    current.push_str(resolved);
                }
                Event::Eof => break,
                _ => {}
            }
        }
        let get = |p: &str| {
            found
                .iter()
                .find(|(k, _)| k == p)
                .map(|(_, v)| v.as_str())
                .unwrap_or_else(|| panic!("{p} in {found:?}"))
        };
        assert_eq!(get("Task/Actions/Exec/Command"), exe);
        assert_eq!(
            get("Task/Actions/Exec/Arguments"),
            r#"--home "C:\Users\Ada & Bob\AppData\Roaming\certdesk" watch --once"#
        );
        assert_eq!(
            get("Task/Triggers/CalendarTrigger/ScheduleByDay/DaysInterval"),
            "1"
        );
        assert_eq!(get("Task/Settings/StartWhenAvailable"), "true");
        assert_eq!(get("Task/Triggers/CalendarTrigger/RandomDelay"), "PT1H");
    }

    #[test]
    fn windows_arguments_survive_commandlinetoargvw_rules() {
        assert_eq!(windows_arg("watch"), "watch");
        assert_eq!(windows_arg(r"C:\a b\"), r#""C:\a b\\""#);
        assert_eq!(windows_arg(r#"say "hi""#), r#""say \"hi\"""#);
        assert_eq!(windows_arg(""), r#""""#);
    }
}
