#include "base/error.h"
#include "base/fd.h"
#include "base/system.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <memory>
#include <string>

using corral::Error;
using corral::ErrorOr;

namespace {

constexpr char const* OPEN_X = "open '/x'";

ErrorOr<int> parse_positive(int value)
{
    if (value <= 0)
        return Error::from_string("not positive: " + std::to_string(value), ERANGE);
    return value;
}

ErrorOr<void> check_positive(int value)
{
    if (value <= 0)
        return Error::from_errno(EDOM, "check " + std::to_string(value));
    return {};
}

// Each helper records how far it got, so a test can tell TRY stopped at the error.
ErrorOr<int> doubled(int value, bool& reached_end)
{
    int parsed = TRY(parse_positive(value));
    reached_end = true;
    return parsed * 2;
}

ErrorOr<int> doubled_with_context(int value, bool& reached_end)
{
    int parsed = TRY_CONTEXT(parse_positive(value), "parsing " + std::to_string(value));
    reached_end = true;
    return parsed * 2;
}

ErrorOr<void> checked_twice(int value, bool& reached_end)
{
    TRY(check_positive(value));
    TRY_CONTEXT(check_positive(value - 1), "second check");
    reached_end = true;
    return {};
}

ErrorOr<std::string> open_missing(const std::string& path)
{
    corral::Fd fd = TRY_CONTEXT(corral::sys::open(path, 0), "ctx1");
    return std::string("opened ") + std::to_string(fd.get());
}

ErrorOr<std::string> open_missing_outer(const std::string& path)
{
    return TRY_CONTEXT(open_missing(path), "ctx2");
}

} // namespace

TEST(Error, FromErrnoMessageEndsWithStrerror)
{
    Error error = Error::from_errno(ENOENT, OPEN_X);
    EXPECT_EQ(error.code(), ENOENT);
    EXPECT_EQ(error.call(), OPEN_X);
    EXPECT_EQ(error.message(), "open '/x': No such file or directory");
}

TEST(Error, FromSyscallReadsErrno)
{
    errno = EACCES;
    Error error = Error::from_syscall("mkdir '/y'");
    EXPECT_EQ(error.code(), EACCES);
    EXPECT_EQ(error.message(), "mkdir '/y': Permission denied");
}

TEST(Error, ContextReadsOutermostFirst)
{
    Error error = Error::from_errno(ENOENT, OPEN_X);
    error.context("ctx1");
    error.context("ctx2");
    EXPECT_EQ(error.message(), "ctx2: ctx1: open '/x': No such file or directory");
    EXPECT_EQ(error.code(), ENOENT);
    EXPECT_EQ(error.call(), OPEN_X);
}

TEST(Error, ContextChainsOnLvaluesAndRvalues)
{
    Error lvalue = Error::from_errno(EIO, "read");
    Error& same = lvalue.context("a").context("b");
    EXPECT_EQ(&same, &lvalue);
    EXPECT_EQ(lvalue.message(), "b: a: read: Input/output error");

    Error rvalue = Error::from_errno(EIO, "write").context("inner").context("outer");
    EXPECT_EQ(rvalue.message(), "outer: inner: write: Input/output error");
    EXPECT_EQ(rvalue.code(), EIO);
}

TEST(Error, FromStringHasNoStrerrorSuffix)
{
    Error error = Error::from_string("bad thing happened");
    EXPECT_EQ(error.code(), EINVAL);
    EXPECT_EQ(error.call(), "bad thing happened");
    EXPECT_EQ(error.message(), "bad thing happened");

    error.context("parsing 'x.yml'");
    EXPECT_EQ(error.message(), "parsing 'x.yml': bad thing happened");
}

TEST(Error, FromStringKeepsGivenCode)
{
    Error error = Error::from_string("too big", EFBIG);
    EXPECT_EQ(error.code(), EFBIG);
    EXPECT_EQ(error.message(), "too big");
}

TEST(Error, RealSyscallFailure)
{
    auto result = corral::sys::open("/nonexistent-corral-test/x", 0);
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().code(), ENOENT);
    EXPECT_EQ(result.error().message(), "open '/nonexistent-corral-test/x': No such file or directory");
}

TEST(ErrorOr, HoldsValue)
{
    ErrorOr<int> result = 42;
    ASSERT_FALSE(result.is_error());
    EXPECT_TRUE(static_cast<bool>(result));
    EXPECT_EQ(result.value(), 42);
    EXPECT_EQ(*result, 42);
    *result = 7;
    EXPECT_EQ(result.release_value(), 7);
}

TEST(ErrorOr, HoldsError)
{
    ErrorOr<int> result = Error::from_errno(ENOENT, OPEN_X);
    ASSERT_TRUE(result.is_error());
    EXPECT_FALSE(static_cast<bool>(result));
    EXPECT_EQ(result.error().code(), ENOENT);
    Error released = result.release_error();
    EXPECT_EQ(released.message(), "open '/x': No such file or directory");
}

TEST(ErrorOr, ConvertsFromConstructibleValues)
{
    ErrorOr<std::string> result = "text";
    ASSERT_FALSE(result.is_error());
    EXPECT_EQ(result->size(), 4u);
    EXPECT_EQ(result.value(), "text");
}

TEST(ErrorOr, HoldsMoveOnlyValues)
{
    ErrorOr<std::unique_ptr<int>> result = std::make_unique<int>(5);
    ASSERT_FALSE(result.is_error());
    std::unique_ptr<int> owned = result.release_value();
    ASSERT_NE(owned, nullptr);
    EXPECT_EQ(*owned, 5);
}

TEST(ErrorOr, VoidDefaultsToSuccess)
{
    ErrorOr<void> ok;
    EXPECT_FALSE(ok.is_error());
    EXPECT_TRUE(static_cast<bool>(ok));

    ErrorOr<void> failed = Error::from_errno(EDOM, "check 0");
    ASSERT_TRUE(failed.is_error());
    EXPECT_FALSE(static_cast<bool>(failed));
    EXPECT_EQ(failed.error().code(), EDOM);
    EXPECT_EQ(failed.release_error().message(), "check 0: Numerical argument out of domain");
}

TEST(Try, YieldsValueOnSuccess)
{
    bool reached_end = false;
    auto result = doubled(21, reached_end);
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(result.value(), 42);
    EXPECT_TRUE(reached_end);
}

TEST(Try, PropagatesErrorUnchanged)
{
    bool reached_end = false;
    auto result = doubled(-1, reached_end);
    ASSERT_TRUE(result.is_error());
    EXPECT_FALSE(reached_end);
    EXPECT_EQ(result.error().code(), ERANGE);
    EXPECT_EQ(result.error().message(), "not positive: -1");
}

TEST(Try, ContextIsAddedOnlyOnError)
{
    bool reached_end = false;
    auto ok = doubled_with_context(3, reached_end);
    ASSERT_FALSE(ok.is_error()) << ok.error().message();
    EXPECT_EQ(ok.value(), 6);
    EXPECT_TRUE(reached_end);

    reached_end = false;
    auto failed = doubled_with_context(0, reached_end);
    ASSERT_TRUE(failed.is_error());
    EXPECT_FALSE(reached_end);
    EXPECT_EQ(failed.error().code(), ERANGE);
    EXPECT_EQ(failed.error().message(), "parsing 0: not positive: 0");
}

TEST(Try, WorksOnErrorOrVoid)
{
    bool reached_end = false;
    EXPECT_FALSE(checked_twice(5, reached_end).is_error());
    EXPECT_TRUE(reached_end);

    reached_end = false;
    auto first = checked_twice(0, reached_end);
    ASSERT_TRUE(first.is_error());
    EXPECT_FALSE(reached_end);
    EXPECT_EQ(first.error().code(), EDOM);
    EXPECT_EQ(first.error().message(), "check 0: Numerical argument out of domain");

    auto second = checked_twice(1, reached_end);
    ASSERT_TRUE(second.is_error());
    EXPECT_FALSE(reached_end);
    EXPECT_EQ(second.error().message(), "second check: check 0: Numerical argument out of domain");
}

TEST(Try, NestedContextsReadOutermostFirst)
{
    auto result = open_missing_outer("/x");
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().code(), ENOENT);
    EXPECT_EQ(result.error().call(), OPEN_X);
    EXPECT_EQ(result.error().message(), "ctx2: ctx1: open '/x': No such file or directory");
}
