"""Generated Fabric configuration, the chaincode package, the external builder and the process table."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from fabric_net import with_orderer
from typer.testing import CliRunner

from ledger.errors import NotFound, ValidationError
from ledger.fabric import lifecycle
from ledger.fabric import netconfig as nc
from ledger.fabric.cli import fabric_app
from ledger.fabric.localnet import BUILDER_SOURCE, GO_GC_PERCENT, LocalNet
from ledger.fabric.processes import ProcessTable
from ledger.identity.network import load_network
from tests.helpers import AUDITOR, OEM, SUPPLIER, TIER1, make_network, small_network_config


@pytest.fixture
def fabric_home(tmp_path: Path) -> Path:
    return make_network(tmp_path / "home", with_orderer(small_network_config(), base=30000))


def test_configtx_has_every_org_anchor_peers_consenter_and_policies(fabric_home: Path) -> None:
    network = load_network(fabric_home)
    profile = nc.configtx(network)["Profiles"][nc.PROFILE]
    orgs = profile["Application"]["Organizations"]
    assert [o["ID"] for o in orgs] == [OEM, TIER1, SUPPLIER, AUDITOR]
    assert orgs[0]["AnchorPeers"] == [{"Host": "127.0.0.1", "Port": network.peer(OEM).port}]
    assert orgs[0]["Policies"]["Endorsement"] == {"Type": "Signature", "Rule": "OR('OemMSP.peer')"}
    assert Path(orgs[2]["MSPDir"], "config.yaml").exists()
    (consenter,) = profile["Orderer"]["EtcdRaft"]["Consenters"]
    assert consenter["Port"] == 30000 and Path(consenter["ServerTLSCert"]).exists()
    (ordr,) = profile["Orderer"]["Organizations"]
    assert ordr["OrdererEndpoints"] == ["127.0.0.1:30000"] and "Endorsement" not in ordr["Policies"]
    assert profile["Application"]["Policies"]["LifecycleEndorsement"]["Rule"] == "MAJORITY Endorsement"
    assert (profile["Capabilities"], profile["Application"]["Capabilities"]) == ({"V3_0": True}, {"V2_5": True})


def test_node_environment_drops_stray_overrides_and_sets_go_gc(
    fabric_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CORE_PEER_ADDRESS", "10.0.0.1:1")
    monkeypatch.setenv("ORDERER_GENERAL_LISTENPORT", "1")
    monkeypatch.delenv("GOGC", raising=False)
    net = LocalNet.open(fabric_home)
    env = net.env(FABRIC_CFG_PATH="/cfg")
    assert "CORE_PEER_ADDRESS" not in env and "ORDERER_GENERAL_LISTENPORT" not in env
    assert (env["GOGC"], env["FABRIC_LOGGING_SPEC"], env["FABRIC_CFG_PATH"]) == (GO_GC_PERCENT, "warning", "/cfg")
    monkeypatch.setenv("GOGC", "100")  # the operator's choice wins
    assert net.env()["GOGC"] == "100"


def test_network_without_orderer_is_refused(network_home: Path) -> None:
    with pytest.raises(ValidationError, match=r"network test-net has no orderer section; add one to network\.yaml"):
        nc.configtx(load_network(network_home))


def test_peer_core_overrides(fabric_home: Path) -> None:
    network = load_network(fabric_home)
    run = nc.RunLayout(fabric_home)
    sample = {"peer": {"gossip": {"reconnectInterval": "25s", "maxBlockCountToStore": 10}}, "vm": {"endpoint": "x"}}
    doc = nc.peer_core(sample, network, network.org(TIER1), run)
    peer = network.peer(TIER1)
    assert doc["peer"]["listenAddress"] == peer.address == doc["peer"]["gossip"]["externalEndpoint"]
    assert doc["peer"]["chaincodeListenAddress"] == f"127.0.0.1:{peer.chaincode_port}"
    assert doc["peer"]["gossip"] == {
        **doc["peer"]["gossip"],
        "reconnectInterval": "5s",
        "maxBlockCountToStore": 10,
        "bootstrap": peer.address,
    }
    assert doc["peer"]["tls"]["enabled"] is True and Path(doc["peer"]["tls"]["key"]["file"]).exists()
    assert doc["peer"]["mspConfigPath"] == str(peer.msp_dir) and doc["peer"]["localMspId"] == TIER1
    assert doc["vm"]["endpoint"] == ""
    assert doc["chaincode"]["externalBuilders"][0]["path"] == str(run.builder)
    assert doc["operations"]["listenAddress"] == f"127.0.0.1:{peer.ops_port}"
    assert doc["metrics"]["provider"] == "prometheus"
    assert doc["chaincode"]["runtimeParams"] == {
        "useWriteBatch": True,
        "maxSizeWriteBatch": 1000,
        "useGetMultipleKeys": True,
        "maxSizeGetMultipleKeys": 1000,
    }
    assert sample["vm"]["endpoint"] == "x"  # the sample is not modified


def test_orderer_config_overrides(fabric_home: Path) -> None:
    network = load_network(fabric_home)
    node = network.orderer.nodes[0]
    doc = nc.orderer_config(
        {"General": {"Keepalive": {"ServerMinInterval": "60s"}}}, network, node, nc.RunLayout(fabric_home)
    )
    assert (doc["General"]["ListenAddress"], doc["General"]["ListenPort"]) == ("127.0.0.1", 30000)
    assert doc["General"]["Keepalive"] == {"ServerMinInterval": "60s"}
    assert doc["General"]["BootstrapMethod"] == "none"
    assert doc["Admin"]["ListenAddress"] == f"127.0.0.1:{node.admin_port}"
    assert doc["Admin"]["TLS"]["ClientAuthRequired"] is True
    assert doc["ChannelParticipation"]["Enabled"] is True


def test_connection_json_is_mutual_tls_next_to_the_peer(fabric_home: Path) -> None:
    network = load_network(fabric_home)
    conn = nc.connection_json(network, SUPPLIER)
    peer = network.peer(SUPPLIER)
    assert conn["address"] == f"127.0.0.1:{peer.port + 5}"
    assert conn["tls_required"] and conn["client_auth_required"]
    assert conn["root_cert"].startswith("-----BEGIN CERTIFICATE-----")
    assert conn["client_cert"] == (peer.tls_dir / "server.crt").read_text()


def test_package_is_reproducible_and_holds_connection_json(fabric_home: Path) -> None:
    net = LocalNet.open(fabric_home)
    path, pkg_id = lifecycle.package(net, OEM)
    first = path.read_bytes()
    path2, pkg_id2 = lifecycle.package(net, OEM)
    assert (pkg_id, path2.read_bytes()) == (pkg_id2, first)
    assert pkg_id.startswith("usmca_oemmsp:") and len(pkg_id.split(":")[1]) == 64
    assert path.stat().st_mode & 0o077 == 0
    with tarfile.open(fileobj=io.BytesIO(first)) as outer:
        assert json.loads(outer.extractfile("metadata.json").read()) == {"type": "ccaas", "label": "usmca_oemmsp"}
        code = outer.extractfile("code.tar.gz").read()
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(code))) as inner:
        assert json.loads(inner.extractfile("connection.json").read())["address"].endswith(":30106")
    assert lifecycle.package(net, TIER1)[1] != pkg_id


def test_external_builder_detect_build_release(tmp_path: Path) -> None:
    src, meta, out, rel = (tmp_path / d for d in ("src", "meta", "out", "rel"))
    for d in (src, meta, out, rel):
        d.mkdir()
    (meta / "metadata.json").write_text('{"label": "x", "type": "ccaas"}')
    (src / "connection.json").write_text('{"address":"127.0.0.1:1"}')

    def run(script: str, *dirs: Path) -> subprocess.CompletedProcess[str]:
        argv = [str(BUILDER_SOURCE / script), *map(str, dirs)]
        return subprocess.run(argv, capture_output=True, text=True, check=False)

    assert run("detect", src, meta).returncode == 0
    assert run("build", src, meta, out).returncode == 0
    assert run("release", out, rel).returncode == 0
    assert (rel / "chaincode" / "server" / "connection.json").read_text() == '{"address":"127.0.0.1:1"}'
    (meta / "metadata.json").write_text('{"label": "x", "type": "golang"}')
    assert run("detect", src, meta).returncode == 1
    (src / "connection.json").unlink()
    failed = run("build", src, meta, out)
    assert failed.returncode == 1 and "connection.json not found" in failed.stderr


def test_locate_install_names_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match=f"Fabric binaries directory {tmp_path / 'none'} does not exist"):
        nc.locate_install(tmp_path / "none")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "peer").write_text("")
    with pytest.raises(NotFound, match=f"{bin_dir} lacks the Fabric binaries orderer, osnadmin, configtxgen"):
        nc.locate_install(bin_dir)
    for b in nc.BINARIES:
        (bin_dir / b).write_text("")
    with pytest.raises(NotFound, match=r"no core\.yaml and orderer\.yaml of the Fabric release in"):
        nc.locate_install(bin_dir)
    (tmp_path / "config").mkdir()
    for f in ("core.yaml", "orderer.yaml"):
        (tmp_path / "config" / f).write_text("{}")
    assert nc.locate_install(bin_dir).config_dir == (tmp_path / "config").resolve()


def test_process_table_tracks_by_pid_and_command(tmp_path: Path) -> None:
    table = ProcessTable(tmp_path / "pids", tmp_path / "logs")
    argv = [sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)"]
    proc = table.start("sleeper", argv, env={}, cwd=tmp_path)
    assert table.get("sleeper") == proc
    assert table.start("sleeper", argv, env={}, cwd=tmp_path).pid == proc.pid  # not started twice
    assert table.names() == ["sleeper"]
    # A pid file whose process is something else (pid reused) is not trusted.
    (tmp_path / "pids" / "other.json").write_text(json.dumps({"pid": proc.pid, "argv": ["/bin/orderer"], "log": "x"}))
    assert table.get("other") is None
    assert table.stop("other") is False
    assert table.get("sleeper") is not None
    assert table.stop("sleeper") is True
    assert table.get("sleeper") is None and table.stop("sleeper") is False


def test_cli_status_and_down_of_a_stopped_network(fabric_home: Path) -> None:
    runner = CliRunner()
    status = runner.invoke(fabric_app, ["status", "--home", str(fabric_home), "--json"])
    assert status.exit_code == 1
    data = json.loads(status.output)
    assert not data["running"] and not data["deployed"]
    assert [n["name"] for n in data["nodes"]][:3] == ["orderer-orderer0", f"peer-{OEM}", f"chaincode-{OEM}"]
    down = runner.invoke(fabric_app, ["down", "--home", str(fabric_home)])
    assert (down.exit_code, down.output) == (0, "stopped: nothing was running\n")


def test_cli_up_bad_input_is_one_line_exit_2(fabric_home: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("FABRIC_BIN", raising=False)
    result = CliRunner().invoke(fabric_app, ["up", "--home", str(fabric_home), "--fabric-bin", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert result.output == f"error: Fabric binaries directory {tmp_path / 'x'} does not exist\n"
