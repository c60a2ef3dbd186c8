//! The deployment files agree with the code: no Docker engine runs here, so these tests read
//! deploy/ (Dockerfile, compose, systemd unit, Kubernetes manifests) and check that ports,
//! environment variables, paths, probes and configuration are the ones the collector really
//! uses. A renamed variable or a moved path fails here, not in production.

use crate::util::*;
use serde_yaml_ng::Value;
use sitepulse::config::Config;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn yaml(rel: &str) -> Value {
    serde_yaml_ng::from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn yaml_docs(rel: &str) -> Vec<Value> {
    use serde::Deserialize;
    serde_yaml_ng::Deserializer::from_str(&read(rel))
        .map(|d| Value::deserialize(d).unwrap_or_else(|e| panic!("{rel}: {e}")))
        .filter(|v| !v.is_null())
        .collect()
}

/// The environment variables `sitepulse serve` reads, from its own `--help`, plus the two read
/// elsewhere (the InfluxDB token by the configuration, RUST_LOG by the logger).
fn serve_env() -> HashSet<String> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sitepulse"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    let mut vars: HashSet<String> = help
        .split("[env: ")
        .skip(1)
        .map(|s| s.split(['=', ']']).next().unwrap().to_string())
        .collect();
    assert!(vars.contains("SITEPULSE_MQTT_URL"), "{help}");
    vars.insert("SITEPULSE_INFLUXDB_TOKEN".into());
    vars.insert("RUST_LOG".into());
    vars
}

fn assert_known_env(names: impl IntoIterator<Item = String>, at: &str) {
    let known = serve_env();
    for n in names {
        if n.starts_with("SITEPULSE_") || n == "RUST_LOG" {
            assert!(
                known.contains(&n),
                "{at}: `{n}` is not read by sitepulse serve"
            );
        }
    }
}

/// A deployment's configuration, loaded and validated as `sitepulse serve` does, with its
/// token file (a secret that only exists in production) replaced by a temporary one.
fn deployed_config(text: &str, at: &str) -> Config {
    let mut c: Config = toml::from_str(text).unwrap_or_else(|e| panic!("{at}: {e}"));
    let token_file = c.influxdb.token_file.clone();
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("token");
    std::fs::write(&tmp, "t").unwrap();
    c.influxdb.token_file = Some(tmp);
    c.validate().unwrap_or_else(|e| panic!("{at}: {e}"));
    c.influxdb.token_file = token_file;
    c
}

fn str_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => panic!("not a scalar: {other:?}"),
    }
}

/// `KEY: value` maps and `- KEY=value` lists alike.
fn env_map(v: &Value) -> Vec<(String, String)> {
    match v {
        Value::Mapping(m) => m.iter().map(|(k, v)| (str_of(k), str_of(v))).collect(),
        Value::Sequence(s) => s
            .iter()
            .map(|e| {
                let e = str_of(e);
                let (k, v) = e.split_once('=').unwrap();
                (k.to_string(), v.to_string())
            })
            .collect(),
        Value::Null => Vec::new(),
        other => panic!("environment: {other:?}"),
    }
}

fn mounts(service: &Value) -> Vec<(String, String)> {
    service["volumes"]
        .as_sequence()
        .map(|s| {
            s.iter()
                .map(|v| {
                    let v = str_of(v);
                    let mut parts = v.split(':');
                    (
                        parts.next().unwrap().to_string(),
                        parts.next().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn parent(p: &Path) -> String {
    p.parent().unwrap().display().to_string()
}

#[test]
fn compose_agrees_with_the_code() {
    let compose = yaml("deploy/compose.yaml");
    let services = &compose["services"];
    for s in ["mosquitto", "influxdb", "grafana", "sitepulse"] {
        assert!(services[s].is_mapping(), "service {s}");
    }
    let config = deployed_config(&read("deploy/sitepulse.toml"), "deploy/sitepulse.toml");
    // The shipped configuration is for a host with a reverse proxy: never on every interface.
    assert!(
        config.http.listen.ip().is_loopback(),
        "{}",
        config.http.listen
    );

    // The collector: variables it reads, its config file, its data, its port.
    let sp = &services["sitepulse"];
    let env = env_map(&sp["environment"]);
    assert_known_env(env.iter().map(|(k, _)| k.clone()), "compose sitepulse");
    let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let conf_path = get("SITEPULSE_CONFIG").unwrap();
    let m = mounts(sp);
    assert!(
        m.contains(&("./sitepulse.toml".into(), conf_path.clone())),
        "{m:?}"
    );
    assert!(
        m.iter().any(|(_, t)| *t == parent(&config.store.path)),
        "store directory {} is not a volume",
        parent(&config.store.path)
    );
    let port = config.http.listen.port();
    let ports: Vec<String> = sp["ports"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(str_of)
        .collect();
    assert!(
        ports.iter().any(|p| p.ends_with(&format!(":{port}"))),
        "{ports:?}"
    );
    assert_eq!(get("SITEPULSE_MQTT_URL").unwrap(), "mqtt://mosquitto:1883");
    assert_eq!(
        get("SITEPULSE_INFLUXDB_URL").unwrap(),
        "http://influxdb:8086"
    );
    let token = config.influxdb.token_file.clone().unwrap();
    assert_eq!(token, Path::new("/run/secrets/influxdb-token"));
    let secrets: Vec<String> = sp["secrets"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(str_of)
        .collect();
    assert!(secrets.contains(&"influxdb-token".to_string()));
    assert_eq!(config.store.series, sitepulse::config::Series::Influxdb);

    // InfluxDB is set up with the organization and bucket the collector writes to.
    let influx = env_map(&services["influxdb"]["environment"]);
    let iget = |k: &str| influx.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(
        iget("DOCKER_INFLUXDB_INIT_ORG").unwrap(),
        config.influxdb.org
    );
    assert_eq!(
        iget("DOCKER_INFLUXDB_INIT_BUCKET").unwrap(),
        config.influxdb.bucket
    );
    assert_eq!(
        iget("DOCKER_INFLUXDB_INIT_ADMIN_TOKEN_FILE").unwrap(),
        token.display().to_string()
    );

    // Grafana reads the same organization and bucket, and the provisioning in dashboards/.
    let g = &services["grafana"];
    let genv = env_map(&g["environment"]);
    let gget = |k: &str| genv.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(gget("INFLUXDB_ORG").unwrap(), config.influxdb.org);
    assert_eq!(gget("INFLUXDB_BUCKET").unwrap(), config.influxdb.bucket);
    let provider = yaml("dashboards/grafana/provisioning/dashboards/sitepulse.yaml");
    let dash_path = str_of(&provider["providers"][0]["options"]["path"]);
    let gm = mounts(g);
    assert!(gm.contains(&(
        "../dashboards/grafana/provisioning".into(),
        "/etc/grafana/provisioning".into()
    )));
    assert!(gm.contains(&("../dashboards/grafana/dashboards".into(), dash_path)));
    let ds = read("dashboards/grafana/provisioning/datasources/sitepulse.yaml");
    assert!(
        ds.contains(&format!("$__file{{{}}}", token.display())),
        "{ds}"
    );
    for var in ["INFLUXDB_URL", "INFLUXDB_ORG", "INFLUXDB_BUCKET"] {
        assert!(
            ds.contains(&format!("${{{var}}}")) && gget(var).is_some(),
            "{var}"
        );
    }

    // Mosquitto: the files its configuration names are mounted where it looks for them.
    let conf = read("deploy/mosquitto.conf");
    let setting = |k: &str| {
        conf.lines()
            .find_map(|l| l.strip_prefix(&format!("{k} ")))
            .unwrap_or_else(|| panic!("mosquitto.conf has no {k}"))
            .trim()
            .to_string()
    };
    assert_eq!(setting("persistence"), "true");
    // A crash loses what arrived since the last snapshot: keep it to a second
    // (tests/broker_crash.rs kills the broker with these settings).
    assert_eq!(setting("autosave_interval"), "1");
    let mm = mounts(&services["mosquitto"]);
    let targets: Vec<&str> = mm.iter().map(|(_, t)| t.as_str()).collect();
    for k in ["acl_file", "password_file"] {
        assert!(
            targets.contains(&setting(k).as_str()),
            "{k} not mounted: {mm:?}"
        );
    }
    let persist = setting("persistence_location");
    assert!(
        targets.contains(&persist.trim_end_matches('/')),
        "{persist}"
    );
    assert!(read("deploy/mosquitto.acl").contains("pattern write sitepulse/v1/sites/%u/#"));
    let listener = setting("listener");
    let mports: Vec<String> = services["mosquitto"]["ports"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(str_of)
        .collect();
    assert!(mports.iter().any(|p| p.ends_with(&format!(":{listener}"))));

    // Every file the compose file takes from the repository exists (the password file and the
    // secrets are the operator's, made as its header says).
    for s in services.as_mapping().unwrap().values() {
        for (src, _) in mounts(s) {
            if src.starts_with('.') && !src.ends_with("mosquitto.passwd") {
                assert!(repo().join("deploy").join(&src).exists(), "{src}");
            }
        }
    }
    let dockerfile = str_of(&sp["build"]["dockerfile"]);
    assert!(repo().join(&dockerfile).exists(), "{dockerfile}");
}

#[test]
fn dockerfile_builds_a_small_non_root_image_of_the_collector() {
    let text = read("deploy/Dockerfile");
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .collect();
    let froms: Vec<&&str> = lines.iter().filter(|l| l.starts_with("FROM ")).collect();
    assert!(froms.len() >= 2, "multi-stage");
    assert!(
        froms.last().unwrap().contains("slim"),
        "small runtime image"
    );
    let user = lines
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix("USER "))
        .unwrap();
    assert!(
        !user.starts_with('0') && !user.starts_with("root"),
        "{user}"
    );
    let config = deployed_config(&read("deploy/sitepulse.toml"), "deploy/sitepulse.toml");
    let expose = lines
        .iter()
        .find_map(|l| l.strip_prefix("EXPOSE "))
        .unwrap();
    assert_eq!(expose.trim(), config.http.listen.port().to_string());
    // The binary is copied where the entrypoint runs it, and the config where it is looked for.
    assert!(text.contains("cargo build --release --locked --bin sitepulse"));
    let entry = lines
        .iter()
        .find_map(|l| l.strip_prefix("ENTRYPOINT "))
        .unwrap();
    let bin: Vec<String> = serde_json::from_str(entry).unwrap();
    assert!(text.contains(&format!("target/release/sitepulse {}", bin[0])));
    assert!(text.contains("COPY deploy/sitepulse.toml /etc/sitepulse/sitepulse.toml"));
    assert!(text.contains("SITEPULSE_CONFIG=/etc/sitepulse/sitepulse.toml"));
    assert_known_env(
        text.split_whitespace()
            .filter_map(|w| w.split_once('=').map(|(k, _)| k.to_string())),
        "Dockerfile",
    );
    assert!(text.contains(&format!("VOLUME [\"{}\"]", parent(&config.store.path))));
    let cmd = lines.iter().find_map(|l| l.strip_prefix("CMD ")).unwrap();
    assert_eq!(cmd, r#"["serve"]"#);
    // The toolchain image is at least the crate's rust-version.
    let cargo = read("Cargo.toml");
    let need = cargo
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = \""))
        .unwrap()
        .trim_end_matches('"');
    let have = froms[0]
        .split(':')
        .nth(1)
        .unwrap()
        .split(['-', ' '])
        .next()
        .unwrap();
    let v = |s: &str| -> Vec<u32> { s.split('.').map(|p| p.parse().unwrap()).collect() };
    assert!(
        v(have) >= v(need),
        "rust image {have} older than rust-version {need}"
    );
    let ignore = read("deploy/Dockerfile.dockerignore");
    assert!(ignore.lines().any(|l| l.trim() == "target/"));
}

#[test]
fn systemd_unit_runs_the_collector_hardened() {
    let unit = read("deploy/sitepulse.service");
    let values = |k: &str| -> Vec<String> {
        unit.lines()
            .filter_map(|l| l.strip_prefix(&format!("{k}=")))
            .map(str::to_string)
            .collect()
    };
    let one = |k: &str| values(k).pop().unwrap_or_else(|| panic!("no {k}="));
    let exec = one("ExecStart");
    let args: Vec<&str> = exec.split_whitespace().collect();
    assert_eq!(args[..3], ["/usr/local/bin/sitepulse", "serve", "--config"]);
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_sitepulse"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("--config"));
    let config = deployed_config(&read("deploy/sitepulse.toml"), "deploy/sitepulse.toml");
    let state = format!("/var/lib/{}", one("StateDirectory"));
    assert_eq!(
        state,
        parent(&config.store.path),
        "the store lives in StateDirectory"
    );
    assert!(values("ReadWritePaths").contains(&state));
    assert_eq!(one("WorkingDirectory"), state);
    assert_ne!(one("User"), "root");
    for (k, v) in [
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("KillSignal", "SIGTERM"),
        ("CapabilityBoundingSet", ""),
    ] {
        assert_eq!(one(k), v, "{k}");
    }
    assert_known_env(
        values("Environment")
            .iter()
            .map(|e| e.split('=').next().unwrap().to_string()),
        "sitepulse.service",
    );
    // The unit's comment names the variables the environment file must hold.
    for v in ["SITEPULSE_MQTT_PASSWORD", "SITEPULSE_INFLUXDB_TOKEN"] {
        assert!(unit.contains(v) && serve_env().contains(v), "{v}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubernetes_manifests_agree_with_the_code() {
    let kustomization = yaml("deploy/k8s/kustomization.yaml");
    let mut docs = Vec::new();
    for r in kustomization["resources"].as_sequence().unwrap() {
        docs.extend(yaml_docs(&format!("deploy/k8s/{}", str_of(r))));
    }
    let secret = yaml("deploy/k8s/secret.example.yaml");
    let secret_keys: Vec<String> = secret["stringData"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(str_of)
        .collect();
    let cm = docs.iter().find(|d| d["kind"] == "ConfigMap").unwrap();
    let cm_name = str_of(&cm["metadata"]["name"]);
    let config = deployed_config(
        cm["data"]["sitepulse.toml"].as_str().unwrap(),
        "configmap sitepulse.toml",
    );
    let sets: Vec<&Value> = docs.iter().filter(|d| d["kind"] == "StatefulSet").collect();
    assert_eq!(sets.len(), 2, "ingest and control");
    let mut probes = HashSet::new();
    let mut groups = Vec::new();
    for set in &sets {
        let name = str_of(&set["metadata"]["name"]);
        let pod = &set["spec"]["template"]["spec"];
        let c = &pod["containers"][0];
        let at = format!("StatefulSet {name}");
        assert_eq!(
            pod["securityContext"]["runAsNonRoot"],
            Value::Bool(true),
            "{at}"
        );
        assert_eq!(
            c["securityContext"]["readOnlyRootFilesystem"],
            Value::Bool(true)
        );
        let env: Vec<(String, &Value)> = c["env"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|e| (str_of(&e["name"]), e))
            .collect();
        assert_known_env(env.iter().map(|(n, _)| n.clone()), &at);
        let client_id = env
            .iter()
            .find(|(n, _)| n == "SITEPULSE_MQTT_CLIENT_ID")
            .unwrap()
            .1;
        assert_eq!(
            str_of(&client_id["valueFrom"]["fieldRef"]["fieldPath"]),
            "metadata.name",
            "{at}: one MQTT session per pod"
        );
        for (_, e) in &env {
            if let Some(k) = e["valueFrom"]["secretKeyRef"]["key"].as_str() {
                assert!(secret_keys.iter().any(|s| s == k), "{at}: secret key {k}");
            }
        }
        groups.push(
            env.iter()
                .find(|(n, _)| n == "SITEPULSE_MQTT_SHARE_GROUP")
                .map(|(_, e)| str_of(&e["value"])),
        );
        // Port, probes, config file, token file and data directory.
        let port = c["ports"][0]["containerPort"].as_u64().unwrap();
        assert_eq!(port, u64::from(config.http.listen.port()), "{at}");
        for p in ["livenessProbe", "readinessProbe"] {
            probes.insert(str_of(&c[p]["httpGet"]["path"]));
        }
        let args: Vec<String> = c["args"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(str_of)
            .collect();
        let conf_path = PathBuf::from(&args[2]);
        let vol_of = |mount_path: &str| -> String {
            let m = c["volumeMounts"]
                .as_sequence()
                .unwrap()
                .iter()
                .find(|m| str_of(&m["mountPath"]) == mount_path)
                .unwrap_or_else(|| panic!("{at}: nothing mounted at {mount_path}"));
            str_of(&m["name"])
        };
        let volumes = pod["volumes"].as_sequence().unwrap();
        let volume = |name: &str| volumes.iter().find(|v| str_of(&v["name"]) == name);
        let config_vol = volume(&vol_of(&parent(&conf_path))).unwrap();
        assert_eq!(str_of(&config_vol["configMap"]["name"]), cm_name);
        assert_eq!(conf_path.file_name().unwrap(), "sitepulse.toml");
        let token = config.influxdb.token_file.clone().unwrap();
        let secret_vol = volume(&vol_of(&parent(&token))).unwrap();
        let item = &secret_vol["secret"]["items"][0];
        assert_eq!(
            str_of(&item["path"]),
            token.file_name().unwrap().to_str().unwrap()
        );
        assert!(secret_keys.contains(&str_of(&item["key"])));
        let data = vol_of(&parent(&config.store.path));
        let claims = set["spec"]["volumeClaimTemplates"].as_sequence().unwrap();
        assert!(
            claims
                .iter()
                .any(|t| str_of(&t["metadata"]["name"]) == data),
            "{at}: store on a volume"
        );
    }
    // Several ingest replicas share one group; the control node sees everything.
    let ingest = sets
        .iter()
        .position(|s| s["metadata"]["name"] == "sitepulse-ingest")
        .unwrap();
    assert!(sets[ingest]["spec"]["replicas"].as_u64().unwrap() >= 2);
    assert_eq!(groups[ingest].as_deref(), Some("sitepulse"));
    assert_eq!(groups[1 - ingest], None);
    assert_eq!(sets[1 - ingest]["spec"]["replicas"].as_u64(), Some(1));

    // The probe paths are served by a running collector.
    let dir = tempfile::tempdir().unwrap();
    let (cfg, _) = embedded_config(dir.path());
    let collector = Collector::start(cfg).await;
    for p in &probes {
        let (status, _) = collector.get(p).await;
        assert_eq!(status, 200, "probe {p}");
    }
    // The alerting rules name metrics the collector exposes.
    let exposed = metrics_text(collector.http).await;
    let alerts = yaml("deploy/alerts.yaml");
    let rules = alerts["groups"][0]["rules"].as_sequence().unwrap();
    assert!(rules.len() >= 4);
    for r in rules {
        let expr = str_of(&r["expr"]);
        let names: Vec<&str> = expr
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .filter(|w| w.starts_with("sitepulse_"))
            .collect();
        assert!(!names.is_empty(), "{expr}");
        for n in names {
            assert!(
                exposed.lines().any(|l| l.starts_with(n)),
                "alert `{}` uses {n}, which /metrics does not have",
                str_of(&r["alert"])
            );
        }
    }
    collector.stop().await;
}
