// bench_container_start: the engine's side of bench/container_start. Loads a
// test image into a fresh engine root, then runs `docker run --rm --network
// none IMAGE true` equivalents through the engine library: COUNT one after
// another, then CONCURRENT at once, and prints one JSON line:
//   {"sequential_seconds": S, "concurrent_seconds": C, "supervisor_rss_kib": R}
// Diagnostics go to stderr.

#include "base/file.h"
#include "base/system.h"
#include "engine/engine.h"
#include "image/archive.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <dirent.h>
#include <unistd.h>
#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <thread>
#include <vector>

using namespace corral;

namespace {

[[noreturn]] void fail(const std::string& what)
{
    std::fprintf(stderr, "bench_container_start: %s\n", what.c_str());
    std::exit(1);
}

struct Args {
    std::string root, archive, image;
    int count { 50 };
    int concurrent { 50 };
};

Args parse(int argc, char** argv)
{
    Args args;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string flag = argv[i];
        std::string value = argv[i + 1];
        if (flag == "--root")
            args.root = value;
        else if (flag == "--image-archive")
            args.archive = value;
        else if (flag == "--image")
            args.image = value;
        else if (flag == "--count")
            args.count = std::stoi(value);
        else if (flag == "--concurrent")
            args.concurrent = std::stoi(value);
        else
            fail("unknown flag " + flag);
    }
    if (args.root.empty() || args.archive.empty() || args.image.empty())
        fail("usage: --root DIR --image-archive TAR --image NAME [--count N] [--concurrent N]");
    return args;
}

// docker run --rm --network none IMAGE true: create, start, wait, remove.
// (The CLI registers its wait for removal before the start; in-process, the
// same work is a wait for the exit followed by the removal.)
void run_one(engine::Engine& engine, const std::string& image)
{
    nlohmann::json request { { "Image", image }, { "Cmd", { "true" } },
        { "HostConfig", { { "NetworkMode", "none" } } } };
    auto id = engine.create(request);
    if (id.is_error())
        fail("create: " + id.error().message());
    if (auto started = engine.start(*id); started.is_error())
        fail("start: " + started.error().message());
    auto code = engine.wait(*id, engine::WaitCondition::NotRunning, std::chrono::seconds(60));
    if (code.is_error())
        fail("wait: " + code.error().message());
    if (*code != 0)
        fail("container exited with " + std::to_string(*code));
    if (auto removed = engine.remove(*id, false, true); removed.is_error())
        fail("remove: " + removed.error().message());
}

double seconds_since(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

long supervisor_rss_kib(engine::Engine& engine, const std::string& image)
{
    nlohmann::json request { { "Image", image }, { "Cmd", { "sleep", "5" } },
        { "HostConfig", { { "NetworkMode", "none" } } } };
    auto id = engine.create(request);
    if (id.is_error() || engine.start(*id).is_error())
        fail("could not start the RSS probe");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    auto c = engine.inspect(*id);
    long rss = -1;
    if (c) {
        auto status = read_file("/proc/" + std::to_string(c->state.supervisor_pid) + "/status");
        if (status) {
            auto at = status->find("VmRSS:");
            if (at != std::string::npos)
                rss = std::strtol(status->c_str() + at + 6, nullptr, 10);
        }
    }
    (void)engine.remove(*id, true, true);
    return rss;
}

} // namespace

int main(int argc, char** argv)
{
    Args args = parse(argc, argv);
    engine::EngineOptions options;
    options.data_root = path_join(args.root, "data");
    options.exec_root = path_join(args.root, "exec");
    options.cgroup_parent = "corral-bench";
    auto opened = engine::Engine::open(options);
    if (opened.is_error())
        fail("open: " + opened.error().message());
    auto& engine = **opened;
    {
        auto fd = sys::open(args.archive, O_RDONLY | O_CLOEXEC);
        if (fd.is_error())
            fail(fd.error().message());
        auto loaded = image::load_archive(engine.images(), fd->get());
        if (loaded.is_error())
            fail("load: " + loaded.error().message());
    }

    run_one(engine, args.image); // warm-up

    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < args.count; ++i)
        run_one(engine, args.image);
    double sequential = seconds_since(start);

    start = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int i = 0; i < args.concurrent; ++i)
        threads.emplace_back([&] { run_one(engine, args.image); });
    for (auto& thread : threads)
        thread.join();
    double concurrent = seconds_since(start);

    long rss = supervisor_rss_kib(engine, args.image);
    // The containers' parent cgroup, now empty, in every hierarchy.
    if (DIR* root = ::opendir("/sys/fs/cgroup")) {
        while (auto* entry = ::readdir(root)) {
            if (entry->d_name[0] != '.')
                ::rmdir((std::string("/sys/fs/cgroup/") + entry->d_name + "/" + options.cgroup_parent).c_str());
        }
        ::closedir(root);
    }
    std::printf("{\"sequential_seconds\": %.4f, \"concurrent_seconds\": %.4f, \"supervisor_rss_kib\": %ld}\n",
        sequential, concurrent, rss);
    return 0;
}
