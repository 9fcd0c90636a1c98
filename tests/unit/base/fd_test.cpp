#include "base/fd.h"
#include "base/scope_guard.h"
#include "base/system.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using corral::Fd;
using corral::ScopeGuard;

namespace {

// True when `fd` names no open descriptor in this process.
bool is_closed(int fd)
{
    errno = 0;
    return ::fcntl(fd, F_GETFD) == -1 && errno == EBADF;
}

bool is_cloexec(int fd)
{
    int flags = ::fcntl(fd, F_GETFD);
    return flags >= 0 && (flags & FD_CLOEXEC) != 0;
}

int open_null()
{
    int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    EXPECT_GE(fd, 0) << "open /dev/null: " << strerror(errno);
    return fd;
}

} // namespace

TEST(Fd, DefaultIsInvalid)
{
    Fd fd;
    EXPECT_FALSE(fd.valid());
    EXPECT_FALSE(static_cast<bool>(fd));
    EXPECT_EQ(fd.get(), -1);
}

TEST(Fd, ClosesOnDestruction)
{
    int raw = open_null();
    ASSERT_GE(raw, 0);
    {
        Fd fd(raw);
        EXPECT_TRUE(fd.valid());
        EXPECT_EQ(fd.get(), raw);
        EXPECT_FALSE(is_closed(raw));
    }
    EXPECT_TRUE(is_closed(raw));
}

TEST(Fd, MoveConstructionTransfersOwnership)
{
    int raw = open_null();
    ASSERT_GE(raw, 0);
    Fd source(raw);
    {
        Fd target(std::move(source));
        EXPECT_FALSE(source.valid()); // NOLINT(bugprone-use-after-move): checking the moved-from state
        EXPECT_EQ(source.get(), -1); // NOLINT(bugprone-use-after-move)
        EXPECT_EQ(target.get(), raw);
        EXPECT_FALSE(is_closed(raw));
    }
    EXPECT_TRUE(is_closed(raw));
}

TEST(Fd, MoveAssignmentClosesPreviousDescriptor)
{
    int first = open_null();
    int second = open_null();
    ASSERT_GE(first, 0);
    ASSERT_GE(second, 0);
    Fd target(first);
    {
        Fd source(second);
        target = std::move(source);
        EXPECT_FALSE(source.valid()); // NOLINT(bugprone-use-after-move)
    }
    EXPECT_TRUE(is_closed(first));
    EXPECT_FALSE(is_closed(second));
    EXPECT_EQ(target.get(), second);
    target.reset();
    EXPECT_TRUE(is_closed(second));
}

TEST(Fd, SelfMoveAssignmentKeepsDescriptor)
{
    int raw = open_null();
    ASSERT_GE(raw, 0);
    Fd fd(raw);
    Fd& alias = fd;
    fd = std::move(alias);
    EXPECT_EQ(fd.get(), raw);
    EXPECT_FALSE(is_closed(raw));
}

TEST(Fd, ReleaseGivesUpOwnership)
{
    int raw = open_null();
    ASSERT_GE(raw, 0);
    {
        Fd fd(raw);
        EXPECT_EQ(fd.release(), raw);
        EXPECT_FALSE(fd.valid());
        EXPECT_EQ(fd.get(), -1);
    }
    EXPECT_FALSE(is_closed(raw));
    EXPECT_EQ(::close(raw), 0);
}

TEST(Fd, ResetClosesAndTakesNew)
{
    int first = open_null();
    int second = open_null();
    ASSERT_GE(first, 0);
    ASSERT_GE(second, 0);
    Fd fd(first);
    fd.reset(second);
    EXPECT_TRUE(is_closed(first));
    EXPECT_EQ(fd.get(), second);
    fd.reset();
    EXPECT_TRUE(is_closed(second));
    EXPECT_FALSE(fd.valid());
}

TEST(Fd, DuplicateIsCloexecAndSharesTheFile)
{
    auto pipe = corral::sys::pipe();
    ASSERT_FALSE(pipe.is_error()) << pipe.error().message();
    auto& [read_end, write_end] = pipe.value();
    // Make the original not close-on-exec so that the flag on the copy comes from
    // duplicate() itself.
    ASSERT_EQ(::fcntl(write_end.get(), F_SETFD, 0), 0);

    int dup_raw = -1;
    {
        auto copy = write_end.duplicate();
        ASSERT_FALSE(copy.is_error()) << copy.error().message();
        dup_raw = copy->get();
        EXPECT_NE(dup_raw, write_end.get());
        EXPECT_TRUE(is_cloexec(dup_raw));
        EXPECT_FALSE(is_cloexec(write_end.get()));
        ASSERT_EQ(::write(copy->get(), "x", 1), 1);
    }
    EXPECT_TRUE(is_closed(dup_raw));
    EXPECT_FALSE(is_closed(write_end.get()));
    char c = 0;
    ASSERT_EQ(::read(read_end.get(), &c, 1), 1);
    EXPECT_EQ(c, 'x');
}

TEST(Fd, DuplicateOfInvalidFails)
{
    Fd fd;
    auto copy = fd.duplicate();
    ASSERT_TRUE(copy.is_error());
    EXPECT_EQ(copy.error().code(), EBADF);
    EXPECT_EQ(copy.error().message(), "fcntl F_DUPFD_CLOEXEC: Bad file descriptor");
}

TEST(Sys, OpenAndPipeAreCloexec)
{
    auto file = corral::sys::open("/dev/null", O_RDONLY);
    ASSERT_FALSE(file.is_error()) << file.error().message();
    EXPECT_TRUE(is_cloexec(file->get()));

    auto pipe = corral::sys::pipe();
    ASSERT_FALSE(pipe.is_error()) << pipe.error().message();
    EXPECT_TRUE(is_cloexec(pipe->first.get()));
    EXPECT_TRUE(is_cloexec(pipe->second.get()));
    // first is the read end, second the write end.
    EXPECT_EQ(::fcntl(pipe->first.get(), F_GETFL) & O_ACCMODE, O_RDONLY);
    EXPECT_EQ(::fcntl(pipe->second.get(), F_GETFL) & O_ACCMODE, O_WRONLY);
}

TEST(Sys, WriteAllAndReadAllRoundTrip)
{
    auto pipe = corral::sys::pipe();
    ASSERT_FALSE(pipe.is_error()) << pipe.error().message();
    std::string data(1000, '\0');
    for (size_t i = 0; i < data.size(); ++i)
        data[i] = static_cast<char>(i * 31);
    auto written = corral::sys::write_all(pipe->second.get(), data);
    ASSERT_FALSE(written.is_error()) << written.error().message();
    pipe->second.reset();

    auto read = corral::sys::read_all(pipe->first.get(), data.size());
    ASSERT_FALSE(read.is_error()) << read.error().message();
    EXPECT_EQ(read.value(), data);
}

TEST(Sys, ReadAllBoundsTheSize)
{
    auto pipe = corral::sys::pipe();
    ASSERT_FALSE(pipe.is_error()) << pipe.error().message();
    ASSERT_FALSE(corral::sys::write_all(pipe->second.get(), "0123456789").is_error());
    pipe->second.reset();

    auto read = corral::sys::read_all(pipe->first.get(), 9);
    ASSERT_TRUE(read.is_error());
    EXPECT_EQ(read.error().code(), EFBIG);
    EXPECT_EQ(read.error().message(), "read (more than 9 bytes): File too large");
}

TEST(ScopeGuard, RunsAtScopeEnd)
{
    int runs = 0;
    {
        ScopeGuard guard([&] { ++runs; });
        EXPECT_EQ(runs, 0);
    }
    EXPECT_EQ(runs, 1);
}

TEST(ScopeGuard, RunsOnEarlyReturn)
{
    int runs = 0;
    auto body = [&](bool leave_early) {
        ScopeGuard guard([&] { ++runs; });
        if (leave_early)
            return 1;
        guard.disarm();
        return 2;
    };
    EXPECT_EQ(body(true), 1);
    EXPECT_EQ(runs, 1);
    EXPECT_EQ(body(false), 2);
    EXPECT_EQ(runs, 1);
}

TEST(ScopeGuard, DisarmPreventsTheCall)
{
    int runs = 0;
    {
        ScopeGuard guard([&] { ++runs; });
        guard.disarm();
    }
    EXPECT_EQ(runs, 0);
}
