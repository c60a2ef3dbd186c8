//! The command line's traps: a command that reads a store refuses one that is not there, a
//! missing configuration file is named once, and the demo fails on an address it was given
//! that is taken instead of quietly using another.

use std::process::Command;

fn sitepulse() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sitepulse"));
    c.env_remove("SITEPULSE_DB")
        .env_remove("SITEPULSE_CONFIG")
        .env_remove("SITEPULSE_HTTP_LISTEN")
        .env_remove("SITEPULSE_BROKER_LISTEN");
    c
}

#[test]
fn reading_a_store_that_is_not_there_is_refused_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("none.db");
    for args in [
        vec![
            "checklist",
            "--month",
            "2020-11",
            "--format",
            "csv",
            "--out",
            "-",
        ],
        vec!["close-month", "--month", "2020-11", "--by", "张工"],
        vec!["token", "list"],
    ] {
        let out = sitepulse()
            .args(&args)
            .arg("--db")
            .arg(&db)
            .current_dir(dir.path())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded: {err}");
        assert!(err.contains("there is no store at"), "{args:?}: {err}");
        assert!(!db.exists(), "{args:?} created the store");
    }
    // Nothing named: the default path in the working directory is not created either.
    let out = sitepulse()
        .args(["checklist", "--month", "2020-11", "--out", "-"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(!dir.path().join("sitepulse.db").exists());
}

#[test]
fn a_missing_config_file_is_named_once() {
    let out = sitepulse()
        .args([
            "checklist",
            "--month",
            "2020-11",
            "--config",
            "/nonexistent/sitepulse.toml",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(err.matches("No such file").count(), 1, "{err}");
    assert!(err.contains("/nonexistent/sitepulse.toml"), "{err}");
}

#[test]
fn the_demo_refuses_an_http_address_it_was_given_that_is_taken() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = sitepulse()
        .args(["demo", "--sites", "10", "--http-listen", &addr.to_string()])
        .arg("--broker-listen")
        .arg("127.0.0.1:0")
        .arg("--db")
        .arg(dir.path().join("demo.db"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("is taken") && err.contains("--http-listen"),
        "{err}"
    );
}
