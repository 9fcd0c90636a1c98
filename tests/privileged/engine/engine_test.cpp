// The engine for real, as root: containers from a busybox test image loaded
// into its store, run under supervisors, asserted through their exit codes,
// logs and state; stop and kill, restart policies, pause, volumes and
// volumes_from, pid: host, exec, rename and remove, and live restore across
// a kill -9 of the engine. Skips when not root.

#include "engine/engine.h"

#include "base/file.h"
#include "base/system.h"
#include "image/archive.h"
#include "runtime/json_log.h"
#include "test_image.h"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <sys/prctl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace corral;
using namespace corral::test;
using namespace corral::engine;
using nlohmann::json;

namespace {

bool exists_path(const std::string& path)
{
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

class EngineTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (::geteuid() != 0)
            GTEST_SKIP() << "needs root (namespaces, mounts, cgroups)";
        ::prctl(PR_SET_CHILD_SUBREAPER, 1);
        options.data_root = path_join(dir.path(), "data");
        options.exec_root = path_join(dir.path(), "exec");
        options.cgroup_parent = "corral-engine-test-" + std::to_string(::getpid());
        open_engine();
        static std::string archive = busybox_test_archive();
        std::string path = path_join(dir.path(), "image.tar");
        ASSERT_TRUE(write_file_atomic(path, archive, 0600));
        Fd fd = sys::open(path, O_RDONLY).release_value();
        auto loaded = image::load_archive(engine->images(), fd.get());
        ASSERT_TRUE(loaded) << loaded.error().message();
    }

    void TearDown() override
    {
        if (engine) {
            for (auto const& c : engine->list())
                (void)engine->remove(c.id, true, true);
        }
        engine.reset();
        while (::waitpid(-1, nullptr, WNOHANG) > 0) { }
        remove_cgroup_everywhere(options.cgroup_parent);
    }

    void open_engine()
    {
        auto opened = Engine::open(options);
        ASSERT_TRUE(opened) << opened.error().message();
        engine = opened.release_value();
    }

    std::string create(json request, const std::string& name = {})
    {
        if (!request.contains("Image"))
            request["Image"] = "corral-test/busybox";
        auto id = engine->create(request, name);
        EXPECT_TRUE(id) << id.error().message();
        return id.is_error() ? std::string() : id.release_value();
    }

    std::string run(json request, int expected_exit = 0)
    {
        std::string id = create(std::move(request));
        auto started = engine->start(id);
        EXPECT_TRUE(started) << started.error().message();
        auto code = engine->wait(id, WaitCondition::NotRunning, std::chrono::seconds(30));
        EXPECT_TRUE(code) << code.error().message();
        if (code) {
            EXPECT_EQ(*code, expected_exit);
        }
        return id;
    }

    std::string logs(const std::string& id, const char* stream = nullptr)
    {
        auto c = engine->inspect(id);
        if (c.is_error())
            return "<" + c.error().message() + ">";
        auto entries = runtime::read_json_logs(c->log_path, 1, {});
        if (entries.is_error())
            return "<" + entries.error().message() + ">";
        std::string out;
        for (auto const& e : *entries) {
            if (!stream || e.stream == stream)
                out += e.log;
        }
        return out;
    }

    // Polls until `predicate` holds, for at most `seconds`.
    template<typename Predicate>
    bool eventually(Predicate predicate, int seconds = 20)
    {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
        while (std::chrono::steady_clock::now() < deadline) {
            if (predicate())
                return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
        }
        return predicate();
    }

    TempDir dir;
    EngineOptions options;
    std::unique_ptr<Engine> engine;
};

TEST_F(EngineTest, RunsAContainerAndRecordsItsExit)
{
    std::string id = run({ { "Cmd", { "sh", "-c", "echo out; echo err >&2; hostname; exit 3" } } }, 3);
    // Two pipes: the order between stdout and stderr is not kept, as in Docker.
    EXPECT_EQ(logs(id, "stdout"), "out\n" + id.substr(0, 12) + "\n");
    EXPECT_EQ(logs(id, "stderr"), "err\n");
    auto c = engine->inspect(id);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->state.status, "exited");
    EXPECT_EQ(c->state.exit_code, 3);
    EXPECT_NE(c->state.finished_at, ZERO_TIME);
    EXPECT_EQ(c->state.pid, 0);
    // The record on disk says the same.
    auto text = read_file(path_join(path_join(options.data_root, "containers/" + id), "container.json"));
    ASSERT_TRUE(text);
    EXPECT_EQ(json::parse(*text)["State"]["ExitCode"], 3);
    // Nothing is left running or mounted for it.
    EXPECT_FALSE(exists_path(path_join("/sys/fs/cgroup/memory", options.cgroup_parent + "/" + id)));
}

TEST_F(EngineTest, LogsRotateAsTheLogOptionsSay)
{
    // 40 lines of 100 bytes, into files of at most 1 KiB, 3 kept.
    std::string id = run({ { "Cmd", { "sh", "-c", "i=0; while [ $i -lt 40 ]; do printf '%099d\\n' $i; i=$((i+1)); done" } },
                             { "HostConfig", { { "LogConfig", { { "Type", "json-file" }, { "Config", { { "max-size", "1k" }, { "max-file", "3" } } } } } } } },
        0);
    auto c = engine->inspect(id);
    ASSERT_TRUE(c);
    for (auto const& path : { c->log_path, c->log_path + ".1", c->log_path + ".2" }) {
        struct stat st {};
        ASSERT_EQ(::stat(path.c_str(), &st), 0) << path;
        EXPECT_LE(st.st_size, 1024 + 200) << path; // one entry may cross the limit
    }
    EXPECT_FALSE(exists_path(c->log_path + ".3"));
    auto entries = runtime::read_json_logs(c->log_path, 3, {});
    ASSERT_TRUE(entries);
    ASSERT_FALSE(entries->empty());
    EXPECT_EQ(entries->back().log, std::string(97, '0') + "39\n");
    EXPECT_LT(entries->size(), 40u);

    auto bad = engine->create({ { "Image", "corral-test/busybox" }, { "Cmd", { "true" } },
        { "HostConfig", { { "LogConfig", { { "Type", "json-file" }, { "Config", { { "max-file", "x" } } } } } } } });
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code(), EINVAL);
}

TEST_F(EngineTest, ImagesAndVolumesInUseAreKept)
{
    std::string id = create({ { "Cmd", { "true" } }, { "HostConfig", { { "Binds", { "kept:/data" } } } } });
    auto image_refused = engine->remove_image("corral-test/busybox:latest");
    ASSERT_FALSE(image_refused);
    EXPECT_EQ(image_refused.error().code(), EBUSY);
    EXPECT_EQ(image_refused.error().message(),
        "conflict: unable to remove repository reference \"corral-test/busybox:latest\" (must force) - container "
            + id.substr(0, 12) + " is using its referenced image " + engine->inspect(id)->image_id.substr(7, 12));
    auto volume_refused = engine->remove_volume("kept");
    ASSERT_FALSE(volume_refused);
    EXPECT_EQ(volume_refused.error().message(), "remove kept: volume is in use - [" + id + "]");
    auto pruned = engine->prune_volumes({ true, {}, {} });
    ASSERT_TRUE(pruned);
    EXPECT_TRUE(pruned->removed.empty());

    ASSERT_TRUE(engine->remove(id));
    ASSERT_TRUE(engine->remove_volume("kept"));
    auto removed = engine->remove_image("corral-test/busybox:latest");
    ASSERT_TRUE(removed) << removed.error().message();
    EXPECT_EQ(removed->untagged, std::vector<std::string> { "docker.io/corral-test/busybox:latest" });
    EXPECT_EQ(removed->deleted.size(), 1u);
}

TEST_F(EngineTest, AttachBeforeStartSeesEverything)
{
    std::string id = create({ { "Cmd", { "sh", "-c", "echo first; echo second >&2; exit 0" } } });
    std::optional<runtime::SupervisorConnection> attach;
    auto started = engine->start(id, &attach, "oe");
    ASSERT_TRUE(started) << started.error().message();
    ASSERT_TRUE(attach.has_value());
    std::string out, err;
    bool exited = false;
    while (auto packet = attach->receive()) {
        if (!packet->has_value())
            break;
        auto const& p = **packet;
        if (p.type == runtime::supervisor_message::STDOUT)
            out += p.data;
        else if (p.type == runtime::supervisor_message::STDERR)
            err += p.data;
        else if (p.type == runtime::supervisor_message::EXIT)
            exited = true;
    }
    EXPECT_EQ(out, "first\n");
    EXPECT_EQ(err, "second\n");
    EXPECT_TRUE(exited);
}

TEST_F(EngineTest, PrivilegedDevicesAndSharedNetworks)
{
    std::string privileged = run({ { "Cmd", { "sh", "-c", "grep CapEff /proc/self/status; test -c /dev/null && echo dev" } },
                                     { "HostConfig", { { "Privileged", true } } } },
        0);
    auto out = logs(privileged);
    // Every capability there is to give: the engine's own set.
    auto status = read_file("/proc/self/status").value();
    auto line = status.substr(status.find("CapEff:"));
    line = line.substr(0, line.find('\n') + 1);
    EXPECT_TRUE(out.starts_with(line)) << out << " vs " << line;
    EXPECT_TRUE(out.ends_with("dev\n")) << out;

    std::string mapped = run({ { "Cmd", { "sh", "-c", "head -c 5 /dev/myzero | wc -c" } },
                                 { "HostConfig",
                                     { { "Devices",
                                         { { { "PathOnHost", "/dev/zero" }, { "PathInContainer", "/dev/myzero" },
                                             { "CgroupPermissions", "rwm" } } } } } } },
        0);
    EXPECT_EQ(logs(mapped), "5\n");

    std::string first = create({ { "Cmd", { "sh", "-c", "readlink /proc/self/ns/net; sleep 30" } } });
    ASSERT_TRUE(engine->start(first));
    std::string second = run({ { "Cmd", { "readlink", "/proc/self/ns/net" } },
                                 { "HostConfig", { { "NetworkMode", "container:" + first } } } },
        0);
    ASSERT_TRUE(eventually([&] { return !logs(first).empty(); }));
    EXPECT_EQ(logs(second), logs(first));
    std::string host_net = run({ { "Cmd", { "readlink", "/proc/self/ns/net" } }, { "HostConfig", { { "NetworkMode", "host" } } } }, 0);
    char own[128] {};
    ASSERT_GT(::readlink("/proc/self/ns/net", own, sizeof own - 1), 0);
    EXPECT_EQ(logs(host_net), std::string(own) + "\n");
    ASSERT_TRUE(engine->kill(first, SIGKILL));
}

TEST_F(EngineTest, StartErrorsNameTheStepAndLeaveNothing)
{
    std::string id = create({ { "Cmd", { "/bin/nope" } } });
    auto started = engine->start(id);
    ASSERT_FALSE(started);
    EXPECT_EQ(started.error().message(), "exec \"/bin/nope\": No such file or directory");
    auto c = engine->inspect(id);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->state.status, "created");
    EXPECT_EQ(c->state.exit_code, 127);
    EXPECT_FALSE(exists_path(path_join("/sys/fs/cgroup/memory", options.cgroup_parent + "/" + id)));

    auto bad_user = create({ { "Cmd", { "true" } }, { "User", "nope" } });
    auto refused = engine->start(bad_user);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().message(), "unable to find user nope: no matching entries in passwd file");

    auto missing = engine->create({ { "Image", "no/such:image" }, { "Cmd", { "true" } } });
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().message(), "No such image: no/such:image");
    EXPECT_EQ(missing.error().code(), ENOENT);
}

TEST_F(EngineTest, StopSendsTheStopSignalThenKills)
{
    std::string polite = create({ { "Cmd", { "sh", "-c", "trap 'echo bye; exit 0' TERM; echo up; while true; do sleep 0.1; done" } } });
    ASSERT_TRUE(engine->start(polite));
    ASSERT_TRUE(eventually([&] { return logs(polite) == "up\n"; }));
    auto stopped = engine->stop(polite, 10);
    ASSERT_TRUE(stopped) << stopped.error().message();
    EXPECT_TRUE(stopped->was_running);
    EXPECT_EQ(engine->inspect(polite)->state.exit_code, 0);
    EXPECT_EQ(logs(polite), "up\nbye\n");

    std::string stubborn = create({ { "Cmd", { "sh", "-c", "trap '' TERM; echo up; while true; do sleep 0.1; done" } } });
    ASSERT_TRUE(engine->start(stubborn));
    ASSERT_TRUE(eventually([&] { return logs(stubborn) == "up\n"; }));
    auto before = std::chrono::steady_clock::now();
    ASSERT_TRUE(engine->stop(stubborn, 1));
    auto took = std::chrono::steady_clock::now() - before;
    EXPECT_GE(took, std::chrono::milliseconds(1000));
    EXPECT_LT(took, std::chrono::seconds(10));
    auto c = engine->inspect(stubborn);
    EXPECT_EQ(c->state.exit_code, 137);
    EXPECT_TRUE(c->manually_stopped);
    // Stopping again is not an error, only nothing to do.
    auto again = engine->stop(stubborn);
    ASSERT_TRUE(again);
    EXPECT_FALSE(again->was_running);
}

TEST_F(EngineTest, KillDeliversTheSignal)
{
    std::string id = create({ { "Cmd", { "sh", "-c", "trap 'echo usr1; exit 9' USR1; while true; do sleep 0.1; done" } } });
    ASSERT_TRUE(engine->start(id));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ASSERT_TRUE(engine->kill(id, SIGUSR1));
    auto code = engine->wait(id, WaitCondition::NotRunning, std::chrono::seconds(10));
    ASSERT_TRUE(code);
    EXPECT_EQ(*code, 9);
    EXPECT_EQ(logs(id), "usr1\n");
    auto not_running = engine->kill(id, SIGKILL);
    ASSERT_FALSE(not_running);
    EXPECT_EQ(not_running.error().code(), EBUSY);
}

TEST_F(EngineTest, OnFailureRestartsUpToItsLimit)
{
    std::string id = create({ { "Cmd", { "sh", "-c", "echo run; exit 1" } },
        { "HostConfig", { { "RestartPolicy", { { "Name", "on-failure" }, { "MaximumRetryCount", 2 } } } } } });
    ASSERT_TRUE(engine->start(id));
    ASSERT_TRUE(eventually([&] {
        auto c = engine->inspect(id);
        return c && c->restart_count == 2 && c->state.status == "exited";
    }));
    EXPECT_EQ(logs(id), "run\nrun\nrun\n");
    EXPECT_EQ(engine->inspect(id)->state.exit_code, 1);
}

TEST_F(EngineTest, AlwaysRestartsUntilStopped)
{
    std::string id = create({ { "Cmd", { "sh", "-c", "echo run; sleep 0.2" } },
        { "HostConfig", { { "RestartPolicy", { { "Name", "always" } } } } } });
    ASSERT_TRUE(engine->start(id));
    ASSERT_TRUE(eventually([&] { return engine->inspect(id)->restart_count >= 2; }));
    ASSERT_TRUE(engine->stop(id, 5));
    auto c = engine->inspect(id);
    EXPECT_EQ(c->state.status, "exited");
    int count = c->restart_count;
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    EXPECT_EQ(engine->inspect(id)->restart_count, count);
    EXPECT_EQ(engine->inspect(id)->state.status, "exited");
}

TEST_F(EngineTest, NamedVolumesAreFilledFromTheImageAndSharedThroughVolumesFrom)
{
    std::string writer = run({ { "Cmd", { "sh", "-c", "cat /data/seed; echo written > /data/note" } },
                                 { "HostConfig", { { "Binds", { "shared:/data" } } } } },
        0);
    EXPECT_EQ(logs(writer), "from the image\n");
    auto volume = engine->volumes().get("shared");
    ASSERT_TRUE(volume) << volume.error().message();
    EXPECT_EQ(read_file(path_join(volume->mountpoint, "note")).value(), "written\n");

    std::string reader = run({ { "Cmd", { "sh", "-c", "cat /data/note; touch /data/x 2>/dev/null || echo read-only" } },
                                 { "HostConfig", { { "VolumesFrom", { engine->inspect(writer)->name + ":ro" } } } } },
        0);
    EXPECT_EQ(logs(reader), "written\nread-only\n");

    std::string bind_dir = path_join(dir.path(), "bind");
    std::string bound = run({ { "Cmd", { "sh", "-c", "echo via-bind > /mnt/file" } },
                                { "HostConfig", { { "Binds", { bind_dir + ":/mnt" } } } } },
        0);
    EXPECT_EQ(read_file(path_join(bind_dir, "file")).value(), "via-bind\n");
    (void)bound;
}

TEST_F(EngineTest, PidHostSeesHostProcesses)
{
    std::string me = std::to_string(::getpid());
    std::string id = run({ { "Cmd", { "sh", "-c", "test -d /proc/" + me + " && echo sees-host" } },
                             { "HostConfig", { { "PidMode", "host" } } } },
        0);
    EXPECT_EQ(logs(id), "sees-host\n");
    std::string isolated = run({ { "Cmd", { "sh", "-c", "echo $$; test -d /proc/" + me + " || echo isolated" } } }, 0);
    EXPECT_EQ(logs(isolated), "1\nisolated\n");
}

TEST_F(EngineTest, PauseFreezesAndUnpauseThaws)
{
    std::string id = create({ { "Cmd", { "sh", "-c", "while true; do echo tick; sleep 0.05; done" } } });
    ASSERT_TRUE(engine->start(id));
    auto paused = engine->pause(id);
    ASSERT_TRUE(paused) << paused.error().message();
    EXPECT_EQ(engine->inspect(id)->state.status, "paused");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::string frozen = logs(id);
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    EXPECT_EQ(logs(id), frozen);
    ASSERT_TRUE(engine->unpause(id));
    EXPECT_TRUE(eventually([&] { return logs(id).size() > frozen.size(); }, 5));
    ASSERT_TRUE(engine->stop(id, 0));
}

TEST_F(EngineTest, ExecRunsInTheContainer)
{
    std::string id = create({ { "Cmd", { "sh", "-c", "echo ready; sleep 30" } }, { "Env", { "FROM_CONTAINER=yes" } } });
    ASSERT_TRUE(engine->start(id));
    ExecOptions exec;
    exec.cmd = { "sh", "-c", "echo $FROM_CONTAINER $EXTRA; hostname; id -u; exit 4" };
    exec.env = { "EXTRA=more" };
    exec.user = "alice";
    auto session = engine->exec(id, exec, "oe");
    ASSERT_TRUE(session) << session.error().message();
    std::string out;
    std::optional<runtime::ExitRecord> exit;
    while (auto packet = session->connection->receive()) {
        if (!packet->has_value())
            break;
        if ((*packet)->type == runtime::supervisor_message::STDOUT)
            out += (*packet)->data;
        if ((*packet)->type == runtime::supervisor_message::EXIT)
            exit = runtime::exit_record_from_json((*packet)->data).release_value();
    }
    EXPECT_EQ(out, "yes more\n" + id.substr(0, 12) + "\n1000\n");
    ASSERT_TRUE(exit.has_value());
    EXPECT_EQ(exit->exit_code, 4);

    // With a terminal, and input through the attach connection.
    ExecOptions interactive;
    interactive.cmd = { "sh", "-c", "test -t 0 && echo is-a-tty; read line; echo got:$line" };
    interactive.tty = true;
    interactive.attach_stdin = true;
    auto tty_session = engine->exec(id, interactive, "io");
    ASSERT_TRUE(tty_session) << tty_session.error().message();
    ASSERT_TRUE(tty_session->connection->send_stdin("hello\n"));
    std::string screen;
    while (auto packet = tty_session->connection->receive()) {
        if (!packet->has_value())
            break;
        if ((*packet)->type == runtime::supervisor_message::STDOUT)
            screen += (*packet)->data;
    }
    EXPECT_NE(screen.find("is-a-tty\r\n"), std::string::npos) << screen;
    EXPECT_NE(screen.find("got:hello\r\n"), std::string::npos) << screen;
    auto record = runtime::read_exit_record(tty_session->run_dir);
    ASSERT_TRUE(record && record->has_value());
    EXPECT_EQ((*record)->exit_code, 0);

    auto killed = engine->kill(id, SIGKILL);
    ASSERT_TRUE(killed) << killed.error().message();
}

TEST_F(EngineTest, RenameAndRemove)
{
    std::string id = create({ { "Cmd", { "true" } }, { "Volumes", { { "/anon", json::object() } } } }, "first");
    ASSERT_TRUE(engine->rename("first", "second"));
    EXPECT_EQ(engine->resolve("second").value(), id);
    EXPECT_FALSE(engine->resolve("first"));
    std::string other = create({ { "Cmd", { "true" } } }, "third");
    auto clash = engine->rename("second", "third");
    ASSERT_FALSE(clash);
    EXPECT_EQ(clash.error().code(), EEXIST);
    auto dup = engine->create({ { "Image", "corral-test/busybox" }, { "Cmd", { "true" } } }, "third");
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().code(), EEXIST);

    auto c = engine->inspect(id);
    ASSERT_EQ(c->mounts.size(), 1u);
    std::string anon = c->mounts[0].name;
    EXPECT_TRUE(engine->volumes().get(anon));
    ASSERT_TRUE(engine->start(id));
    ASSERT_TRUE(engine->wait(id));
    ASSERT_TRUE(engine->remove(id, false, true));
    EXPECT_FALSE(engine->volumes().get(anon));
    EXPECT_FALSE(exists_path(path_join(options.data_root, "containers/" + id)));
    auto gone = engine->inspect(id);
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().message(), "No such container: " + id);

    std::string running = create({ { "Cmd", { "sleep", "30" } } });
    ASSERT_TRUE(engine->start(running));
    auto refused = engine->remove(running);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code(), EBUSY);
    ASSERT_TRUE(engine->remove(running, true));
    (void)other;

    // AutoRemove (docker run --rm): gone once it has exited, volumes too.
    std::string temporary = create({ { "Cmd", { "sh", "-c", "exit 2" } }, { "Volumes", { { "/scratch", json::object() } } },
        { "HostConfig", { { "AutoRemove", true } } } });
    std::string scratch = engine->inspect(temporary)->mounts.at(0).name;
    ASSERT_TRUE(engine->start(temporary));
    EXPECT_TRUE(eventually([&] { return engine->resolve(temporary).is_error(); }));
    EXPECT_FALSE(engine->volumes().get(scratch));
}

TEST_F(EngineTest, LiveRestoreSurvivesKillingTheEngine)
{
    std::string id = create({ { "Cmd", { "sh", "-c", "echo before; sleep 2; echo after; exit 5" } } });
    engine.reset();
    // A second engine, in a child process, starts the container; then the
    // child is killed with SIGKILL, engine and all.
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    pid_t child = ::fork();
    if (child == 0) {
        ::close(pipe_fds[0]);
        auto other = Engine::open(options);
        bool ok = other && !(*other)->start(id).is_error();
        (void)!::write(pipe_fds[1], ok ? "y" : "n", 1);
        ::pause();
        ::_exit(0);
    }
    ::close(pipe_fds[1]);
    char answer = 0;
    ASSERT_EQ(::read(pipe_fds[0], &answer, 1), 1);
    ::close(pipe_fds[0]);
    ASSERT_EQ(answer, 'y');
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);

    open_engine();
    auto c = engine->inspect(id);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->state.status, "running");
    auto code = engine->wait(id, WaitCondition::NotRunning, std::chrono::seconds(20));
    ASSERT_TRUE(code) << code.error().message();
    EXPECT_EQ(*code, 5);
    EXPECT_EQ(logs(id), "before\nafter\n");

    // And a container that ended while no engine ran is found ended.
    std::string quick = create({ { "Cmd", { "sh", "-c", "sleep 0.5; exit 6" } } });
    ASSERT_TRUE(engine->start(quick));
    engine.reset();
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    open_engine();
    auto ended = engine->inspect(quick);
    ASSERT_TRUE(ended);
    EXPECT_EQ(ended->state.status, "exited");
    EXPECT_EQ(ended->state.exit_code, 6);
}

// The OS image has only the unified hierarchy. This host's cgroup2 mount
// (/sys/fs/cgroup/unified) holds no controllers, but membership, freezing,
// killing, device programs and the container's cgroup namespace work there
// as on a pure v2 system, so the engine runs containers with it as its root.
TEST_F(EngineTest, RunsOnAPureCgroupV2Hierarchy)
{
    struct statfs fs {};
    if (::statfs("/sys/fs/cgroup/unified", &fs) != 0 || fs.f_type != CGROUP2_SUPER_MAGIC)
        GTEST_SKIP() << "no cgroup2 mount at /sys/fs/cgroup/unified";
    engine.reset();
    options.cgroup_root = "/sys/fs/cgroup/unified";
    open_engine();
    std::string id = create({ { "Cmd", { "sh", "-c", "cat /proc/self/cgroup; echo ready; while true; do sleep 0.05; done" } } });
    auto started = engine->start(id);
    ASSERT_TRUE(started) << started.error().message();
    std::string dir = "/sys/fs/cgroup/unified/" + options.cgroup_parent + "/" + id;
    // Its own cgroup namespace: the container sees itself at the root.
    // (The v1 lines above it are this host's other hierarchies.)
    ASSERT_TRUE(eventually([&] { return logs(id).ends_with("\n0::/\nready\n"); })) << logs(id);
    auto procs = read_file(dir + "/cgroup.procs");
    ASSERT_TRUE(procs) << procs.error().message();
    EXPECT_NE(procs->find(std::to_string(engine->inspect(id)->state.pid)), std::string::npos);
    ASSERT_TRUE(engine->pause(id));
    EXPECT_NE(read_file(dir + "/cgroup.events").value().find("frozen 1"), std::string::npos);
    ASSERT_TRUE(engine->unpause(id));
    EXPECT_NE(read_file(dir + "/cgroup.events").value().find("frozen 0"), std::string::npos);
    auto stopped = engine->stop(id, 1);
    ASSERT_TRUE(stopped) << stopped.error().message();
    EXPECT_EQ(engine->inspect(id)->state.exit_code, 137); // sh as PID 1 ignores SIGTERM
    EXPECT_FALSE(exists_path(dir));
    ::rmdir(("/sys/fs/cgroup/unified/" + options.cgroup_parent).c_str());
}

} // namespace
