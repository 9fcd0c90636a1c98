// The cgroup manager against the real kernel: limits read back from the files,
// processes joined, frozen, signalled and counted, device rules and the pids
// limit enforced on real processes, directories removed.
//
// CgroupTest uses the host's layout at /sys/fs/cgroup (hybrid on the development
// hosts, v2 in the OS image). CgroupCoreV2Test runs the v2 code on a cgroup2
// hierarchy without controllers: the hybrid host's /sys/fs/cgroup/unified (or
// /sys/fs/cgroup itself on a v2 host). cgroup.procs, cgroup.freeze, cgroup.kill
// and BPF device programs need no controller, so the v2 freezer, kill and device
// filter are tested here too; the v2 limits (memory.max, cpu.max, …) need the
// OS image and are covered by the VM tests.
//
// Every cgroup is made under "corral-test-<pid>/" and removed in TearDown, with
// its processes killed, whatever the test did.

#include "base/file.h"
#include "base/process.h"
#include "base/strings.h"
#include "base/system.h"
#include "runtime/cgroup.h"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <dirent.h>
#include <fcntl.h>
#include <iostream>
#include <linux/magic.h>
#include <list>
#include <poll.h>
#include <set>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace corral;
using namespace corral::runtime;
using namespace std::chrono_literals;

namespace {

constexpr int64_t MIB = 1024 * 1024;
const std::string CGROUP_ROOT = "/sys/fs/cgroup";

std::string read_text(const std::string& path)
{
    auto text = read_file(path);
    if (text.is_error())
        return "<" + text.error().message() + ">";
    return std::string(trim(text.value()));
}

bool exists(const std::string& path)
{
    struct stat st { };
    return ::lstat(path.c_str(), &st) == 0;
}

bool contains(std::string_view haystack, std::string_view needle)
{
    return haystack.find(needle) != std::string_view::npos;
}

// Writes a cgroup file when it exists; for cleanup, so errors are ignored.
void poke(const std::string& path, std::string_view value)
{
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    (void)!::write(fd, value.data(), value.size()); // cleanup: nothing to do about a failure
    ::close(fd);
}

// Removes a leftover test cgroup: kills what is in it and removes directories
// bottom-up. Used only for cleanup, so it ignores errors.
void remove_leftover(const std::string& dir)
{
    if (DIR* stream = ::opendir(dir.c_str())) {
        std::vector<std::string> children;
        while (struct dirent* entry = ::readdir(stream)) {
            std::string name = entry->d_name;
            if (entry->d_type == DT_DIR && name != "." && name != "..")
                children.push_back(dir + "/" + name);
        }
        ::closedir(stream);
        for (const auto& child : children)
            remove_leftover(child);
    }
    for (int attempt = 0; attempt < 100 && exists(dir); ++attempt) {
        auto pids = parse_pid_list(read_text(dir + "/cgroup.procs"));
        if (!pids.is_error()) {
            for (pid_t pid : pids.value())
                (void)::kill(pid, SIGKILL); // cleanup: it may be gone already
        }
        poke(dir + "/freezer.state", "THAWED"); // SIGKILL only acts on thawed tasks (v1)
        poke(dir + "/cgroup.freeze", "0");
        if (::rmdir(dir.c_str()) == 0)
            return;
        std::this_thread::sleep_for(10ms);
    }
}

// The output and status of a shell script run inside a cgroup.
struct ScriptResult {
    ExitStatus status;
    std::string out;
    std::string err;
};

std::string read_all(Fd& fd)
{
    std::string out;
    if (!fd.valid())
        return out;
    auto text = sys::read_all(fd.get(), 1024 * 1024);
    if (!text.is_error())
        out = text.release_value();
    fd.reset();
    return out;
}

// Starts `sh -c` with `script` held back until the shell is in the cgroup, so
// that everything the script does happens there.
class ScriptInCgroup {
public:
    static ErrorOr<ScriptInCgroup> start(Cgroup& cgroup, const std::string& script)
    {
        SpawnOptions options;
        options.argv = { "/bin/sh", "-c", "read go; " + script };
        options.in = Stdio::Pipe;
        options.out = Stdio::Pipe;
        options.err = Stdio::Pipe;
        ScriptInCgroup started { TRY(Child::spawn(options)) };
        TRY(cgroup.add_process(started.m_child.pid()));
        return started;
    }

    pid_t pid() const { return m_child.pid(); }
    // Lets the script run.
    void go()
    {
        (void)sys::write_all(m_child.stdin_pipe().get(), "go\n"); // EPIPE only if it died, which wait() shows
        m_child.stdin_pipe().reset();
    }
    // Whether the script wrote anything to stdout within `timeout`.
    bool output_within(std::chrono::milliseconds timeout)
    {
        struct pollfd fd {
            m_child.stdout_pipe().get(), POLLIN, 0
        };
        return ::poll(&fd, 1, static_cast<int>(timeout.count())) == 1;
    }
    ScriptResult finish()
    {
        ScriptResult result;
        result.out = read_all(m_child.stdout_pipe());
        result.err = read_all(m_child.stderr_pipe());
        auto status = m_child.wait();
        EXPECT_FALSE(status.is_error()) << status.error().message();
        if (!status.is_error())
            result.status = status.value();
        return result;
    }

private:
    explicit ScriptInCgroup(Child child)
        : m_child(std::move(child))
    {
    }
    Child m_child;
};

ErrorOr<Child> spawn_sleep()
{
    SpawnOptions options;
    options.argv = { "sleep", "30" };
    return Child::spawn(options);
}

ScriptResult run_in(Cgroup& cgroup, const std::string& script)
{
    auto started = ScriptInCgroup::start(cgroup, script);
    EXPECT_FALSE(started.is_error()) << started.error().message();
    if (started.is_error())
        return {};
    started->go();
    return started->finish();
}

// /proc/<pid>/cgroup as controller list → path ("memory" → "/a/b", "" for v2).
std::map<std::string, std::string> proc_cgroups(pid_t pid)
{
    std::map<std::string, std::string> out;
    for (const auto& line : split(read_text("/proc/" + std::to_string(pid) + "/cgroup"), '\n')) {
        auto first = line.find(':');
        auto second = line.find(':', first + 1);
        if (first == std::string::npos || second == std::string::npos)
            continue;
        std::string path = line.substr(second + 1);
        for (const auto& controller : split(line.substr(first + 1, second - first - 1), ','))
            out[controller] = path;
    }
    return out;
}

std::string proc_state(pid_t pid)
{
    for (const auto& line : split(read_text("/proc/" + std::to_string(pid) + "/status"), '\n')) {
        if (line.starts_with("State:"))
            return std::string(trim(line.substr(6)));
    }
    return "";
}

class CgroupFixture : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (::geteuid() != 0)
            GTEST_SKIP() << "needs root: creates cgroups and moves processes into them";
        m_parent = "corral-test-" + std::to_string(::getpid());
        // Orphans of killed shells come to us, so that we reap them rather than
        // leaving zombies to whatever PID 1 is.
        ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    }

    void TearDown() override
    {
        if (m_parent.empty())
            return; // skipped before anything was made
        for (auto& cgroup : m_cgroups) {
            auto killed = cgroup.kill_all(SIGKILL);
            EXPECT_FALSE(killed.is_error()) << killed.error().message();
            reap_orphans();
            auto destroyed = cgroup.destroy();
            EXPECT_FALSE(destroyed.is_error()) << destroyed.error().message();
        }
        m_cgroups.clear();
        reap_orphans();
        // The parent in every hierarchy, and anything a failed test left.
        std::vector<std::string> roots { m_root };
        if (DIR* stream = ::opendir(m_root.c_str())) {
            while (struct dirent* entry = ::readdir(stream)) {
                std::string name = entry->d_name;
                if (entry->d_type == DT_DIR && name != "." && name != "..")
                    roots.push_back(m_root + "/" + name);
            }
            ::closedir(stream);
        }
        for (const auto& root : roots) {
            std::string parent = root + "/" + m_parent;
            if (exists(parent))
                remove_leftover(parent);
            EXPECT_FALSE(exists(parent)) << parent << " is left behind";
        }
    }

    static void reap_orphans()
    {
        while (::waitpid(-1, nullptr, WNOHANG | __WNOTHREAD) > 0) { }
    }

    std::string path_of(const std::string& name) const { return m_parent + "/" + name; }

    // Creates the cgroup and keeps it for TearDown.
    Cgroup* make(const std::string& name, const Resources& resources = {})
    {
        auto made = Cgroup::create(path_of(name), resources, m_root);
        EXPECT_FALSE(made.is_error()) << made.error().message();
        if (made.is_error())
            return nullptr;
        m_cgroups.push_back(made.release_value());
        return &m_cgroups.back();
    }

    std::string m_root { CGROUP_ROOT };
    CgroupLayout m_layout { CgroupLayout::V1 };
    std::string m_parent;
    std::list<Cgroup> m_cgroups;
};

// ---- the host's layout -------------------------------------------------------

class CgroupTest : public CgroupFixture {
protected:
    void SetUp() override
    {
        CgroupFixture::SetUp();
        if (IsSkipped())
            return;
        auto layout = detect_cgroup_layout(CGROUP_ROOT);
        if (layout.is_error())
            GTEST_SKIP() << "no cgroups at " << CGROUP_ROOT << ": " << layout.error().message();
        m_layout = layout.value();
        std::cout << "[ INFO     ] cgroup layout: " << cgroup_layout_name(m_layout) << std::endl;
    }

    bool v2() const { return m_layout == CgroupLayout::V2; }

    // Whether the host can limit swap (v1 memsw files, v2 memory.swap.max).
    bool swap_accounted() const
    {
        if (v2())
            return contains(read_text(m_root + "/cgroup.controllers"), "memory"); // swap.max checked in the test
        return exists(m_root + "/memory/memory.memsw.limit_in_bytes");
    }

    static Resources full_resources(bool with_swap)
    {
        Resources r;
        r.memory = 64 * MIB;
        if (with_swap)
            r.memory_swap = 128 * MIB;
        r.cpu_shares = 512;
        r.cpu_quota = 50000;
        r.cpu_period = 100000;
        r.cpuset_cpus = "0";
        r.cpuset_mems = "0";
        r.pids_limit = 50;
        r.blkio_weight = 300;
        r.devices = {
            { false, 'a', -1, -1, "rwm" },
            { true, 'c', 1, 3, "rwm" },
            { true, 'c', 1, 5, "rwm" },
            { true, 'c', 136, -1, "rw" },
        };
        return r;
    }
};

TEST_F(CgroupTest, DetectsTheLayout)
{
    struct statfs st { };
    ASSERT_EQ(::statfs(CGROUP_ROOT.c_str(), &st), 0);
    if (st.f_type == CGROUP2_SUPER_MAGIC) {
        EXPECT_EQ(m_layout, CgroupLayout::V2);
    } else if (exists(CGROUP_ROOT + "/unified/cgroup.procs")) {
        EXPECT_EQ(m_layout, CgroupLayout::Hybrid);
    } else {
        EXPECT_EQ(m_layout, CgroupLayout::V1);
    }
    auto missing = detect_cgroup_layout("/nonexistent-cgroup-root");
    ASSERT_TRUE(missing.is_error());
    EXPECT_EQ(missing.error().code(), ENOENT);
    EXPECT_EQ(missing.error().message(), "statfs '/nonexistent-cgroup-root': No such file or directory");
}

TEST_F(CgroupTest, LimitsReadBack)
{
    bool with_swap = swap_accounted();
    Cgroup* cgroup = make("limits", full_resources(with_swap));
    ASSERT_TRUE(cgroup);
    EXPECT_EQ(cgroup->layout(), m_layout);
    std::string path = path_of("limits");
    if (v2()) {
        std::string dir = m_root + "/" + path;
        EXPECT_EQ(cgroup->directories(), std::vector<std::string> { dir });
        EXPECT_EQ(read_text(dir + "/memory.max"), "67108864");
        if (exists(dir + "/memory.swap.max")) {
            EXPECT_EQ(read_text(dir + "/memory.swap.max"), "67108864");
        }
        EXPECT_EQ(read_text(dir + "/cpu.weight"), "20");
        EXPECT_EQ(read_text(dir + "/cpu.max"), "50000 100000");
        EXPECT_EQ(read_text(dir + "/cpuset.cpus"), "0");
        EXPECT_EQ(read_text(dir + "/cpuset.mems"), "0");
        EXPECT_EQ(read_text(dir + "/pids.max"), "50");
        if (exists(dir + "/io.bfq.weight")) {
            EXPECT_TRUE(contains(read_text(dir + "/io.bfq.weight"), "default 300"))
                << read_text(dir + "/io.bfq.weight");
        } else {
            EXPECT_TRUE(contains(read_text(dir + "/io.weight"), "default 2930")) << read_text(dir + "/io.weight");
        }
        return;
    }
    auto dir = [&](const char* controller) { return cgroup->directory_of(controller); };
    EXPECT_EQ(dir("memory"), m_root + "/memory/" + path);
    EXPECT_EQ(read_text(dir("memory") + "/memory.limit_in_bytes"), "67108864");
    if (with_swap) {
        EXPECT_EQ(read_text(dir("memory") + "/memory.memsw.limit_in_bytes"), "134217728");
    }
    EXPECT_EQ(read_text(dir("cpu") + "/cpu.shares"), "512");
    EXPECT_EQ(read_text(dir("cpu") + "/cpu.cfs_period_us"), "100000");
    EXPECT_EQ(read_text(dir("cpu") + "/cpu.cfs_quota_us"), "50000");
    EXPECT_EQ(read_text(dir("cpuset") + "/cpuset.cpus"), "0");
    EXPECT_EQ(read_text(dir("cpuset") + "/cpuset.mems"), "0");
    EXPECT_EQ(read_text(dir("pids") + "/pids.max"), "50");
    std::string weight_file = exists(dir("blkio") + "/blkio.weight") ? "/blkio.weight" : "/blkio.bfq.weight";
    EXPECT_EQ(read_text(dir("blkio") + weight_file), "300") << weight_file;
    EXPECT_EQ(read_text(dir("devices") + "/devices.list"), "c 1:3 rwm\nc 1:5 rwm\nc 136:* rw");
    // Every used hierarchy that is mounted has the directory.
    for (const char* controller : { "memory", "cpu", "cpuacct", "cpuset", "pids", "blkio", "devices", "freezer" }) {
        if (exists(m_root + "/" + controller)) {
            EXPECT_TRUE(exists(m_root + "/" + controller + "/" + path)) << controller;
        }
    }
    if (m_layout == CgroupLayout::Hybrid) {
        EXPECT_TRUE(exists(m_root + "/unified/" + path));
    }
}

TEST_F(CgroupTest, CpusetIsInitialisedFromTheParentChain)
{
    if (v2())
        GTEST_SKIP() << "v2 cpusets inherit; nothing to initialise";
    Cgroup* cgroup = make("cpuset/inner/leaf");
    ASSERT_TRUE(cgroup);
    std::string root_cpus = read_text(m_root + "/cpuset/cpuset.cpus");
    std::string root_mems = read_text(m_root + "/cpuset/cpuset.mems");
    for (std::string sub : { "", "/cpuset", "/cpuset/inner", "/cpuset/inner/leaf" }) {
        std::string dir = m_root + "/cpuset/" + m_parent + sub;
        EXPECT_EQ(read_text(dir + "/cpuset.cpus"), root_cpus) << dir;
        EXPECT_EQ(read_text(dir + "/cpuset.mems"), root_mems) << dir;
    }
    // Which is what lets a task join it.
    auto sleeper = spawn_sleep();
    ASSERT_FALSE(sleeper.is_error());
    auto joined = cgroup->add_process(sleeper->pid());
    EXPECT_FALSE(joined.is_error()) << joined.error().message();
}

TEST_F(CgroupTest, ProcessesJoinFreezeAndCount)
{
    Resources r;
    r.memory = 64 * MIB;
    r.pids_limit = 50;
    Cgroup* cgroup = make("join", r);
    ASSERT_TRUE(cgroup);
    auto started = ScriptInCgroup::start(*cgroup, "exec sleep 30");
    ASSERT_FALSE(started.is_error()) << started.error().message();
    started->go();
    pid_t pid = started->pid();

    auto pids = cgroup->processes();
    ASSERT_FALSE(pids.is_error()) << pids.error().message();
    EXPECT_EQ(pids.value(), std::vector<pid_t> { pid });

    std::string expected = "/" + path_of("join");
    auto memberships = proc_cgroups(pid);
    if (v2()) {
        EXPECT_EQ(memberships[""], expected);
    } else {
        for (const char* controller : { "memory", "cpu", "cpuacct", "cpuset", "pids", "blkio", "devices", "freezer" }) {
            if (exists(m_root + "/" + controller)) {
                EXPECT_EQ(memberships[controller], expected) << controller;
            }
        }
        if (m_layout == CgroupLayout::Hybrid) {
            EXPECT_EQ(memberships[""], expected) << "the unified hierarchy records membership too";
        }
        if (exists(m_root + "/systemd")) {
            EXPECT_EQ(memberships["name=systemd"], expected);
        }
    }

    // Let sleep exec (its pages are charged here) and settle, then count.
    for (int i = 0; i < 400 && proc_state(pid) != "S (sleeping)"; ++i)
        std::this_thread::sleep_for(5ms);
    EXPECT_EQ(read_text("/proc/" + std::to_string(pid) + "/comm"), "sleep");
    auto stats = cgroup->stats();
    ASSERT_FALSE(stats.is_error()) << stats.error().message();
    EXPECT_GT(stats->memory_usage, 0u);
    EXPECT_EQ(stats->memory_limit, std::optional<uint64_t>(64 * MIB));
    ASSERT_TRUE(stats->memory_max_usage || v2()) << "v1 always has memory.max_usage_in_bytes";
    if (stats->memory_max_usage) {
        EXPECT_GE(*stats->memory_max_usage, stats->memory_usage);
    }
    EXPECT_FALSE(stats->memory_stat.empty());
    EXPECT_GT(stats->cpu_usage_ns, 0u);
    EXPECT_GE(stats->cpu_usage_ns + 20'000'000, stats->cpu_user_ns + stats->cpu_system_ns)
        << "user + system (in ticks) is about the total";
    EXPECT_EQ(stats->pids_current, 1u);
    EXPECT_EQ(stats->pids_limit, std::optional<uint64_t>(50));

    EXPECT_FALSE(cgroup->frozen());
    auto frozen = cgroup->freeze();
    ASSERT_FALSE(frozen.is_error()) << frozen.error().message();
    EXPECT_TRUE(cgroup->frozen());
    if (v2()) {
        EXPECT_TRUE(contains(read_text(cgroup->directory_of("") + "/cgroup.events"), "frozen 1"));
    } else {
        EXPECT_EQ(read_text(cgroup->directory_of("freezer") + "/freezer.state"), "FROZEN");
        EXPECT_EQ(proc_state(pid), "D (disk sleep)") << "v1 frozen tasks sleep uninterruptibly";
    }
    auto thawed = cgroup->thaw();
    ASSERT_FALSE(thawed.is_error()) << thawed.error().message();
    EXPECT_FALSE(cgroup->frozen());
    if (!v2()) {
        EXPECT_EQ(read_text(cgroup->directory_of("freezer") + "/freezer.state"), "THAWED");
        // A thawed task runs for a moment before it goes back to sleep.
        for (int i = 0; i < 400 && proc_state(pid) != "S (sleeping)"; ++i)
            std::this_thread::sleep_for(5ms);
        EXPECT_EQ(proc_state(pid), "S (sleeping)");
    }

    auto killed = cgroup->kill_all(SIGKILL);
    ASSERT_FALSE(killed.is_error()) << killed.error().message();
    EXPECT_TRUE(cgroup->processes().value().empty());
    auto result = started->finish();
    EXPECT_TRUE(result.status.signaled());
    EXPECT_EQ(result.status.code(), 128 + SIGKILL);
}

TEST_F(CgroupTest, FrozenTasksMakeNoProgress)
{
    Cgroup* cgroup = make("progress");
    ASSERT_TRUE(cgroup);
    auto started = ScriptInCgroup::start(*cgroup, "read line; echo got \"$line\"");
    ASSERT_FALSE(started.is_error()) << started.error().message();
    ASSERT_FALSE(cgroup->freeze().is_error());
    started->go(); // "go", then EOF: the script's second read gets an empty line
    EXPECT_FALSE(started->output_within(300ms)) << "a frozen shell answered";
    ASSERT_FALSE(cgroup->thaw().is_error());
    EXPECT_TRUE(started->output_within(10s));
    auto result = started->finish();
    EXPECT_EQ(result.out, "got \n");
    EXPECT_EQ(result.status.code(), 0);
}

TEST_F(CgroupTest, SignalsReachEveryProcessAndPausedStaysPaused)
{
    Cgroup* cgroup = make("signals");
    ASSERT_TRUE(cgroup);
    auto started = ScriptInCgroup::start(*cgroup, "sleep 30 & sleep 30 & exec sleep 30");
    ASSERT_FALSE(started.is_error()) << started.error().message();
    started->go();
    for (int i = 0; i < 400 && cgroup->processes().value().size() < 3; ++i)
        std::this_thread::sleep_for(5ms);
    ASSERT_EQ(cgroup->processes().value().size(), 3u);

    ASSERT_FALSE(cgroup->freeze().is_error());
    auto signalled = cgroup->kill_all(SIGTERM);
    ASSERT_FALSE(signalled.is_error()) << signalled.error().message();
    EXPECT_TRUE(cgroup->frozen()) << "a paused container stays paused for signals other than SIGKILL";
    EXPECT_EQ(cgroup->processes().value().size(), 3u) << "frozen tasks act on the signal once thawed";
    ASSERT_FALSE(cgroup->thaw().is_error());
    auto result = started->finish();
    EXPECT_TRUE(result.status.signaled());
    EXPECT_EQ(result.status.code(), 128 + SIGTERM);
    for (int i = 0; i < 400 && !cgroup->processes().value().empty(); ++i)
        std::this_thread::sleep_for(5ms);
    EXPECT_TRUE(cgroup->processes().value().empty()) << "the background sleeps got SIGTERM too";
}

TEST_F(CgroupTest, KillAllEmptiesAFrozenCgroup)
{
    Cgroup* cgroup = make("kill-frozen");
    ASSERT_TRUE(cgroup);
    auto started = ScriptInCgroup::start(*cgroup, "sleep 30 & exec sleep 30");
    ASSERT_FALSE(started.is_error()) << started.error().message();
    started->go();
    for (int i = 0; i < 400 && cgroup->processes().value().size() < 2; ++i)
        std::this_thread::sleep_for(5ms);
    ASSERT_FALSE(cgroup->freeze().is_error());
    auto killed = cgroup->kill_all(SIGKILL);
    ASSERT_FALSE(killed.is_error()) << killed.error().message();
    EXPECT_TRUE(cgroup->processes().value().empty());
    EXPECT_FALSE(cgroup->frozen()) << "SIGKILL thaws so that frozen tasks can die";
    EXPECT_EQ(started->finish().status.code(), 128 + SIGKILL);
}

TEST_F(CgroupTest, DeviceRulesAreEnforced)
{
    Resources r;
    r.devices = { { false, 'a', -1, -1, "rwm" }, { true, 'c', 1, 3, "rwm" } };
    Cgroup* cgroup = make("devices", r);
    ASSERT_TRUE(cgroup);
    auto result = run_in(*cgroup,
        "echo ok > /dev/null || exit 10\n"
        "if head -c1 /dev/zero > /dev/null; then exit 11; fi\n"
        "exit 0");
    EXPECT_EQ(result.status.code(), 0) << result.status.describe() << ": " << result.err;
    EXPECT_TRUE(contains(result.err, "/dev/zero")) << result.err;
    EXPECT_TRUE(contains(result.err, "Operation not permitted")) << result.err;
}

TEST_F(CgroupTest, PidsLimitStopsForks)
{
    Resources r;
    r.pids_limit = 5;
    Cgroup* cgroup = make("pids", r);
    ASSERT_TRUE(cgroup);
    // The sleeps must not hold the shell's stdout and stderr open, or reading
    // them would wait for the sleeps.
    auto result = run_in(*cgroup, "for i in 1 2 3 4 5 6 7 8; do sleep 30 <&- >&- 2>&- & done; echo all forked");
    EXPECT_NE(result.status.code(), 0) << "the shell cannot fork its fifth sleep";
    EXPECT_EQ(result.out, "");
    EXPECT_TRUE(contains(result.err, "fork")) << result.err;
    std::string events = read_text(cgroup->directory_of("pids") + "/pids.events");
    auto counts = parse_flat_keyed(events);
    EXPECT_GE(counts["max"], 1u) << events;
    auto left = cgroup->processes();
    ASSERT_FALSE(left.is_error());
    EXPECT_EQ(left->size(), 4u) << "four sleeps made it in under the limit of five";
    auto killed = cgroup->kill_all(SIGKILL);
    ASSERT_FALSE(killed.is_error()) << killed.error().message();
    EXPECT_TRUE(cgroup->processes().value().empty());
}

TEST_F(CgroupTest, UpdateChangesLimits)
{
    bool with_swap = swap_accounted() && !v2();
    Resources r;
    r.memory = 64 * MIB;
    if (with_swap)
        r.memory_swap = 128 * MIB;
    Cgroup* cgroup = make("update", r);
    ASSERT_TRUE(cgroup);
    std::string file = v2() ? "/memory.max" : "/memory.limit_in_bytes";
    std::string dir = cgroup->directory_of("memory");

    // Raising both past the current swap limit needs memsw written first on v1.
    r.memory = 256 * MIB;
    if (with_swap)
        r.memory_swap = 512 * MIB;
    auto raised = cgroup->update(r);
    ASSERT_FALSE(raised.is_error()) << raised.error().message();
    EXPECT_EQ(read_text(dir + file), "268435456");
    if (with_swap) {
        EXPECT_EQ(read_text(dir + "/memory.memsw.limit_in_bytes"), "536870912");
    }

    // Lowering both needs memory first.
    r.memory = 32 * MIB;
    if (with_swap)
        r.memory_swap = 48 * MIB;
    auto lowered = cgroup->update(r);
    ASSERT_FALSE(lowered.is_error()) << lowered.error().message();
    EXPECT_EQ(read_text(dir + file), "33554432");
    if (with_swap) {
        EXPECT_EQ(read_text(dir + "/memory.memsw.limit_in_bytes"), "50331648");
    }
}

TEST_F(CgroupTest, ErrorsNameTheFileAndUndoTheDirectories)
{
    Resources r;
    r.memory = 64 * MIB;
    r.cpuset_cpus = "abc";
    auto made = Cgroup::create(path_of("bad"), r, m_root);
    ASSERT_TRUE(made.is_error());
    EXPECT_EQ(made.error().code(), EINVAL);
    std::string dir = v2() ? m_root + "/" + path_of("bad") : m_root + "/cpuset/" + path_of("bad");
    EXPECT_EQ(made.error().message(), "write '" + dir + "/cpuset.cpus' (\"abc\"): Invalid argument");
    EXPECT_FALSE(exists(dir));
    if (!v2()) {
        EXPECT_FALSE(exists(m_root + "/memory/" + path_of("bad")));
    }

    auto escape = Cgroup::create("../escape", {}, m_root);
    ASSERT_TRUE(escape.is_error());
    EXPECT_EQ(escape.error().code(), EINVAL);
    EXPECT_FALSE(Cgroup::create("/absolute", {}, m_root));
}

TEST_F(CgroupTest, OpenFindsItAgainAndDestroyRemovesEverything)
{
    Cgroup* cgroup = make("restore");
    ASSERT_TRUE(cgroup);
    auto directories = cgroup->directories();
    ASSERT_FALSE(directories.empty());
    auto sleeper = spawn_sleep();
    ASSERT_FALSE(sleeper.is_error());
    ASSERT_FALSE(cgroup->add_process(sleeper->pid()).is_error());

    auto opened = Cgroup::open(path_of("restore"), m_root);
    ASSERT_FALSE(opened.is_error()) << opened.error().message();
    EXPECT_EQ(opened->directories(), directories);
    EXPECT_EQ(opened->processes().value(), std::vector<pid_t> { sleeper->pid() });

    // A process still inside: rmdir keeps failing, and the error says why.
    auto busy = opened->destroy();
    ASSERT_TRUE(busy.is_error());
    EXPECT_EQ(busy.error().code(), EBUSY);
    EXPECT_TRUE(contains(busy.error().message(), "1 processes remain: rmdir '")) << busy.error().message();

    ASSERT_FALSE(cgroup->kill_all(SIGKILL).is_error());
    auto destroyed = cgroup->destroy();
    ASSERT_FALSE(destroyed.is_error()) << destroyed.error().message();
    for (const auto& dir : directories)
        EXPECT_FALSE(exists(dir)) << dir;
    EXPECT_TRUE(cgroup->directories().empty());
    EXPECT_FALSE(cgroup->destroy().is_error()) << "destroying twice is fine";

    auto gone = Cgroup::open(path_of("restore"), m_root);
    ASSERT_TRUE(gone.is_error());
    EXPECT_EQ(gone.error().code(), ENOENT);
}

// ---- v2 core files and device programs on a controller-less cgroup2 ---------

class CgroupCoreV2Test : public CgroupFixture {
protected:
    void SetUp() override
    {
        CgroupFixture::SetUp();
        if (IsSkipped())
            return;
        auto layout = detect_cgroup_layout(CGROUP_ROOT);
        if (layout.is_error())
            GTEST_SKIP() << "no cgroups at " << CGROUP_ROOT << ": " << layout.error().message();
        if (layout.value() == CgroupLayout::Hybrid)
            m_root = CGROUP_ROOT + "/unified";
        else if (layout.value() != CgroupLayout::V2)
            GTEST_SKIP() << "no cgroup2 hierarchy on this host (pure cgroup v1)";
        m_layout = CgroupLayout::V2;
        if (!exists(m_root + "/cgroup.procs"))
            GTEST_SKIP() << m_root << " is not a cgroup2 hierarchy";
    }
};

TEST_F(CgroupCoreV2Test, JoinFreezeKill)
{
    Cgroup* cgroup = make("core");
    ASSERT_TRUE(cgroup);
    EXPECT_EQ(cgroup->layout(), CgroupLayout::V2);
    auto started = ScriptInCgroup::start(*cgroup, "sleep 30 & exec sleep 30");
    ASSERT_FALSE(started.is_error()) << started.error().message();
    started->go();
    for (int i = 0; i < 400 && cgroup->processes().value().size() < 2; ++i)
        std::this_thread::sleep_for(5ms);
    EXPECT_EQ(cgroup->processes().value().size(), 2u);
    EXPECT_EQ(proc_cgroups(started->pid())[""], "/" + path_of("core"));

    ASSERT_FALSE(cgroup->freeze().is_error());
    EXPECT_TRUE(cgroup->frozen());
    EXPECT_TRUE(contains(read_text(m_root + "/" + path_of("core") + "/cgroup.events"), "frozen 1"));
    ASSERT_FALSE(cgroup->thaw().is_error());
    EXPECT_FALSE(cgroup->frozen());

    auto stats = cgroup->stats();
    ASSERT_FALSE(stats.is_error()) << stats.error().message();
    EXPECT_GT(stats->cpu_usage_ns, 0u) << "cpu.stat is a core file";

    ASSERT_FALSE(cgroup->freeze().is_error());
    auto killed = cgroup->kill_all(SIGKILL); // cgroup.kill (5.14) kills frozen tasks too
    ASSERT_FALSE(killed.is_error()) << killed.error().message();
    EXPECT_TRUE(cgroup->processes().value().empty());
    EXPECT_EQ(started->finish().status.code(), 128 + SIGKILL);
}

TEST_F(CgroupCoreV2Test, MissingControllersAreNamed)
{
    std::string available = read_text(m_root + "/cgroup.controllers");
    if (contains(available, "memory"))
        GTEST_SKIP() << "this cgroup2 hierarchy has the memory controller";
    Resources r;
    r.memory = 64 * MIB;
    r.pids_limit = 10;
    auto made = Cgroup::create(path_of("nomem"), r, m_root);
    ASSERT_TRUE(made.is_error());
    EXPECT_EQ(made.error().code(), ENOTSUP);
    EXPECT_TRUE(contains(made.error().message(), "not available in '" + m_root + "': memory, pids"))
        << made.error().message();
    EXPECT_FALSE(exists(m_root + "/" + path_of("nomem")));
}

TEST_F(CgroupCoreV2Test, DeviceProgramIsEnforcedAndReplaced)
{
    Resources r;
    r.devices = { { false, 'a', -1, -1, "rwm" }, { true, 'c', 1, 3, "rwm" } };
    Cgroup* cgroup = make("bpf", r);
    ASSERT_TRUE(cgroup);
    const std::string script = "echo ok > /dev/null || exit 10\n"
                               "head -c1 /dev/zero > /dev/null || exit 11\n"
                               "exit 0";
    auto denied = run_in(*cgroup, script);
    EXPECT_EQ(denied.status.code(), 11) << denied.status.describe() << ": " << denied.err;
    EXPECT_TRUE(contains(denied.err, "Operation not permitted")) << denied.err;

    // The update replaces the program; if the old one stayed attached it would
    // still refuse /dev/zero (every attached program must allow).
    r.devices.push_back({ true, 'c', 1, 5, "r" });
    auto updated = cgroup->update(r);
    ASSERT_FALSE(updated.is_error()) << updated.error().message();
    auto allowed = run_in(*cgroup, script);
    EXPECT_EQ(allowed.status.code(), 0) << allowed.status.describe() << ": " << allowed.err;

    // Read access only: writing to /dev/zero is refused.
    auto write = run_in(*cgroup, "echo x > /dev/zero");
    EXPECT_NE(write.status.code(), 0);
    EXPECT_TRUE(contains(write.err, "Operation not permitted")) << write.err;
}

} // namespace
