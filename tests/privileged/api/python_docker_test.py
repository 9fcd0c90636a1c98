#!/usr/bin/env python3
"""system-dockerd driven by python3-docker (Debian's Docker SDK): the daemon on a
temporary socket and data root, the busybox image of bench/container_start
loaded through the SDK, then containers run, logged, exec'd into, stopped,
waited for and removed, images tagged and removed, volumes made and removed.
Usage: python_docker_test.py <ros binary> <source dir>. Skips (exit 0 with a
reason) when not root or without the docker module."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

ROS, SOURCE = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
try:
    import docker
except ImportError:
    docker = None


class PythonDocker(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="corral-pydocker-")
        subprocess.run([sys.executable, os.path.join(SOURCE, "bench/container_start/make_image.py"), cls.dir],
                       check=True, stdout=subprocess.DEVNULL)
        daemon = os.path.join(cls.dir, "system-dockerd")
        os.symlink(ROS, daemon)
        cls.socket = os.path.join(cls.dir, "docker.sock")
        cls.cgroup = "corral-pydocker-%d" % os.getpid()
        cls.daemon = subprocess.Popen([daemon, "-H", "unix://" + cls.socket, "--data-root", cls.dir + "/data",
                                       "--exec-root", cls.dir + "/exec", "--pidfile", cls.dir + "/pid",
                                       "--cgroup-parent", cls.cgroup], stdout=subprocess.DEVNULL)
        try:
            for _ in range(200):
                if os.path.exists(cls.socket):
                    break
                time.sleep(0.025)
            cls.client = docker.DockerClient(base_url="unix://" + cls.socket, version="1.41", timeout=60)
            with open(os.path.join(cls.dir, "image.tar"), "rb") as archive:
                cls.loaded = cls.client.images.load(archive.read())
        except BaseException:
            cls.stop_daemon()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            for container in cls.client.containers.list(all=True):
                container.remove(force=True, v=True)
        finally:
            cls.stop_daemon()

    @classmethod
    def stop_daemon(cls):
        try:
            cls.daemon.send_signal(signal.SIGTERM)
            cls.daemon.wait(timeout=30)
        finally:
            for hierarchy in [""] + os.listdir("/sys/fs/cgroup"):
                path = os.path.join("/sys/fs/cgroup", hierarchy, cls.cgroup)
                for parent, _, _ in sorted(os.walk(path), key=lambda walk: -len(walk[0])):
                    try:
                        os.rmdir(parent)
                    except OSError:
                        pass
            shutil.rmtree(cls.dir, ignore_errors=True)

    def test_version(self):
        version = self.client.version()
        self.assertEqual(version["ApiVersion"], "1.41")
        self.assertEqual(version["Os"], "linux")
        self.assertTrue(self.client.ping())

    def test_load_and_images(self):
        self.assertEqual([image.tags for image in self.loaded], [["corral-bench/busybox:latest"]])
        image = self.client.images.get("corral-bench/busybox")
        self.assertEqual(image.tags, ["corral-bench/busybox:latest"])
        self.assertTrue(image.tag("py-tag", "1"))
        self.assertIn("py-tag:1", self.client.images.get("py-tag:1").tags)
        self.client.images.remove("py-tag:1")
        with self.assertRaises(docker.errors.ImageNotFound):
            self.client.images.get("py-tag:1")

    def test_run_and_remove(self):
        out = self.client.containers.run("corral-bench/busybox", ["sh", "-c", "echo hello"], remove=True,
                                         network_mode="none")
        self.assertEqual(out, b"hello\n")
        with self.assertRaises(docker.errors.ContainerError) as failure:
            self.client.containers.run("corral-bench/busybox", ["sh", "-c", "exit 5"], remove=True)
        self.assertEqual(failure.exception.exit_status, 5)

    def test_detached_lifecycle(self):
        container = self.client.containers.run(
            "corral-bench/busybox", ["sh", "-c", "echo up; trap 'exit 0' TERM; while true; do sleep 0.1; done"],
            detach=True, name="py-web", environment={"X": "1"})
        self.assertEqual(container.name, "py-web")
        for _ in range(100):
            if container.logs():
                break
            time.sleep(0.05)
        self.assertEqual(container.logs(), b"up\n")
        container.reload()
        self.assertEqual(container.status, "running")
        code, output = container.exec_run(["sh", "-c", "echo $X; exit 2"])
        self.assertEqual((code, output), (2, b"1\n"))
        self.assertIn("py-web", [c.name for c in self.client.containers.list(filters={"name": "py-web"})])
        container.stop(timeout=5)
        self.assertEqual(container.wait()["StatusCode"], 0)
        container.reload()
        self.assertEqual(container.attrs["State"]["Status"], "exited")
        container.remove()
        with self.assertRaises(docker.errors.NotFound):
            self.client.containers.get("py-web")

    def test_kill_and_wait(self):
        container = self.client.containers.run("corral-bench/busybox", ["sleep", "30"], detach=True)
        container.kill()
        self.assertEqual(container.wait(timeout=20)["StatusCode"], 137)
        with self.assertRaises(docker.errors.APIError) as conflict:
            container.kill()
        self.assertEqual(conflict.exception.status_code, 409)
        container.remove()

    def test_volumes(self):
        volume = self.client.volumes.create("py-data", labels={"k": "v"})
        self.assertEqual(volume.attrs["Driver"], "local")
        self.client.containers.run("corral-bench/busybox", ["sh", "-c", "echo x > /data/f"], remove=True,
                                   volumes={"py-data": {"bind": "/data", "mode": "rw"}})
        out = self.client.containers.run("corral-bench/busybox", ["sh", "-c", "echo $(cat /data/f)"], remove=True,
                                         volumes={"py-data": {"bind": "/data", "mode": "ro"}})
        self.assertEqual(out, b"x\n")
        self.assertIn("py-data", [v.name for v in self.client.volumes.list(filters={"label": "k=v"})])
        volume.remove()
        with self.assertRaises(docker.errors.NotFound):
            self.client.volumes.get("py-data")

    def test_detach_keys(self):
        """The detach keys typed on an attached terminal end the attach and
        leave the container running; keys the daemon cannot read are a 400."""
        container = self.client.containers.run("corral-bench/busybox", ["sh"], tty=True, stdin_open=True,
                                               detach=True, network_mode="none", name="py-detach")
        since = int(time.time())
        with self.assertRaises(docker.errors.APIError) as bad:
            self.client.api.attach_socket(container.id, params={"stdin": 1, "stream": 1, "detachKeys": "ctrl-1"})
        self.assertEqual(bad.exception.response.status_code, 400)
        self.assertIn("invalid detach keys: unknown character: 'ctrl-1'", str(bad.exception))
        sock = self.client.api.attach_socket(
            container.id, params={"stdin": 1, "stdout": 1, "stream": 1, "detachKeys": "ctrl-x,x"})
        raw = sock._sock
        raw.settimeout(10)
        raw.sendall(b"echo hel''lo\n")
        out = b""
        while b"hello\r\n" not in out:
            chunk = raw.recv(4096)
            self.assertTrue(chunk, "the attach ended early: %r" % out)
            out += chunk
        # An x alone is data; ctrl-x then x is the sequence.
        raw.sendall(b"\x18x")
        rest = b""
        while True:
            chunk = raw.recv(4096)
            if not chunk:
                break
            rest += chunk
        raw.close()
        container.reload()
        self.assertEqual(container.status, "running")
        events = list(self.client.events(since=since, until=int(time.time()) + 1, decode=True,
                                         filters={"container": "py-detach", "event": "detach"}))
        self.assertEqual([e["Action"] for e in events], ["detach"])
        container.remove(force=True)

    def test_errors(self):
        with self.assertRaises(docker.errors.ImageNotFound):
            self.client.containers.create("no/such:image", ["true"])
        with self.assertRaises(docker.errors.NotFound):
            self.client.containers.get("nope")


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("skipped: needs root (the daemon runs containers)")
        sys.exit(0)
    if docker is None:
        print("skipped: python3-docker is not installed")
        sys.exit(0)
    unittest.main(argv=[sys.argv[0], "-v"])
