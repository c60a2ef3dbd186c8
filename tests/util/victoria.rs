//! A real VictoriaMetrics on a free loopback port: it accepts the InfluxDB v2 write API
//! (`/api/v2/write`, line protocol), and its export API reads back every sample as written,
//! duplicates included. Fails the test when it is not installed: `.ci/run` installs it
//! (`apt-get install victoria-metrics`).

use super::free_port;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Victoria {
    pub port: u16,
    child: Option<Child>,
    args: Vec<String>,
    data: PathBuf,
    _dir: tempfile::TempDir,
}

/// One exported series: its labels (the measurement's tags, `__name__` = measurement_field)
/// and its samples.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Exported {
    pub metric: HashMap<String, String>,
    pub values: Vec<f64>,
    pub timestamps: Vec<i64>,
}

fn binary() -> &'static str {
    ["/usr/bin/victoria-metrics", "/usr/local/bin/victoria-metrics"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .unwrap_or_else(|| {
            panic!("victoria-metrics is not installed; run `apt-get install -y victoria-metrics` (.ci/run does)")
        })
}

impl Victoria {
    pub fn start() -> Victoria {
        Self::start_with(&[])
    }

    /// With extra command-line flags.
    pub fn start_with(args: &[&str]) -> Victoria {
        let dir = tempfile::tempdir().unwrap();
        let mut v = Victoria {
            port: free_port(),
            child: None,
            args: args.iter().map(|a| a.to_string()).collect(),
            data: dir.path().join("data"),
            _dir: dir,
        };
        v.restart();
        v
    }

    /// Over HTTPS with this certificate and key.
    pub fn start_tls(cert: &Path, key: &Path) -> Victoria {
        Self::start_with(&[
            "-tls",
            &format!("-tlsCertFile={}", cert.display()),
            &format!("-tlsKeyFile={}", key.display()),
        ])
    }

    fn tls(&self) -> bool {
        self.args.iter().any(|a| a == "-tls")
    }

    /// The URL the sink writes to (`/api/v2/write` is appended).
    pub fn url(&self) -> String {
        let scheme = if self.tls() { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// Starts the server again on the same port and data (after [`Victoria::stop`]).
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "already running");
        let child = Command::new(binary())
            .arg(format!("-storageDataPath={}", self.data.display()))
            .arg(format!("-httpListenAddr=127.0.0.1:{}", self.port))
            .arg("-retentionPeriod=10y")
            .arg("-loggerLevel=ERROR")
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start victoria-metrics");
        self.child = Some(child);
        for _ in 0..500 {
            let up = if self.tls() {
                std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok()
            } else {
                http_status(&format!("{}/health", self.url())).is_ok_and(|r| r == 200)
            };
            if up {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("victoria-metrics did not answer on port {}", self.port);
    }

    /// Stops the server the way an operator does (SIGTERM: it finishes what it accepted).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(c.id().to_string())
                .status();
            let _ = c.wait();
        }
    }

    /// Every series whose name matches the regular expression, with all its samples.
    pub async fn export(&self, name_re: &str) -> Vec<Exported> {
        let client = super::http_client();
        // Makes what was just written visible to reads.
        let _ = client
            .get(format!("{}/internal/force_flush", self.url()))
            .send()
            .await;
        let url = url::Url::parse_with_params(
            &format!("{}/api/v1/export", self.url()),
            &[
                ("match[]", format!("{{__name__=~\"{name_re}\"}}")),
                ("start", "0".to_string()),
            ],
        )
        .unwrap();
        let body = client.get(url).send().await.unwrap().text().await.unwrap();
        body.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("export line {l}: {e}")))
            .collect()
    }

    /// `(site, seq)` of every `site_status` point, one entry per stored sample.
    pub async fn status_keys(&self) -> Vec<(String, u64)> {
        self.export("site_status_seq")
            .await
            .into_iter()
            .flat_map(|s| {
                let site = s.metric.get("site").cloned().unwrap_or_default();
                s.values.into_iter().map(move |v| (site.clone(), v as u64))
            })
            .collect()
    }
}

/// Status code of a plain HTTP/1.0 GET (blocking; used before the server is up).
fn http_status(url: &str) -> std::io::Result<u16> {
    use std::io::{Read, Write};
    let u = url::Url::parse(url).unwrap();
    let mut s = std::net::TcpStream::connect((u.host_str().unwrap(), u.port().unwrap()))?;
    s.set_read_timeout(Some(Duration::from_secs(2)))?;
    write!(
        s,
        "GET {} HTTP/1.0\r\nHost: {}\r\n\r\n",
        u.path(),
        u.host_str().unwrap()
    )?;
    let mut buf = [0u8; 32];
    let n = s.read(&mut buf)?;
    let head = String::from_utf8_lossy(&buf[..n]);
    Ok(head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0))
}

impl Drop for Victoria {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
