//! A real 3-master Redis Cluster for tests: three `redis-server
//! --cluster-enabled yes` processes (the [`RedisServer`] harness: free
//! loopback ports, temporary directories, AOF) joined with
//! `redis-cli --cluster create`, ready once every node reports
//! `cluster_state:ok`. A missing `redis-server` fails under `CI=true` and
//! skips otherwise, as for one server.

use std::process::Command;
use std::time::{Duration, Instant};

use super::redis_server::{RedisServer, redis_server_with};
use tower_jwt_cookie::revocation::redis::RedisStore;

/// How long the cluster may take to agree on its slot map.
const READY_WITHIN: Duration = Duration::from_secs(20);

pub struct RedisCluster {
    pub nodes: Vec<RedisServer>,
}

pub fn redis_cluster() -> Option<RedisCluster> {
    let mut nodes = Vec::new();
    for _ in 0..3 {
        nodes.push(redis_server_with(|port| {
            ["--cluster-enabled", "yes", "--cluster-config-file"]
                .map(str::to_owned)
                .into_iter()
                .chain([format!("nodes-{port}.conf")])
                .collect()
        })?);
    }
    let addresses: Vec<String> = nodes
        .iter()
        .map(|n| format!("127.0.0.1:{}", n.port()))
        .collect();
    let output = Command::new("redis-cli")
        .args(["--cluster", "create"])
        .args(&addresses)
        .args(["--cluster-replicas", "0", "--cluster-yes"])
        .output()
        .expect("redis-cli");
    assert!(
        output.status.success(),
        "redis-cli --cluster create failed: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    let cluster = RedisCluster { nodes };
    cluster.wait_ok();
    Some(cluster)
}

impl RedisCluster {
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(RedisServer::url).collect()
    }

    pub async fn store(&self) -> RedisStore {
        RedisStore::cluster_builder(self.urls())
            .connect()
            .await
            .unwrap()
    }

    /// Polls `CLUSTER INFO` on every node until all say `cluster_state:ok`
    /// (the nodes gossip the new configuration for a moment after create).
    fn wait_ok(&self) {
        let deadline = Instant::now() + READY_WITHIN;
        while !self.nodes.iter().all(|n| {
            n.cli(&["CLUSTER", "INFO"])
                .iter()
                .any(|l| l.trim() == "cluster_state:ok")
        }) {
            assert!(Instant::now() < deadline, "the cluster did not get ready");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
