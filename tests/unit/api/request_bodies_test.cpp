#include "api/request_bodies.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace corral::api;
using nlohmann::json;

TEST(RequestBodies, ExecCreateAsTheDockerCliSendsIt)
{
    auto body = parse_exec_create(json::parse(R"({"User":"alice","Privileged":false,"Tty":true,"AttachStdin":true,
        "AttachStderr":true,"AttachStdout":true,"Detach":false,"DetachKeys":"","Env":["A=1"],"WorkingDir":"/tmp",
        "Cmd":["sh","-c","id"]})"));
    ASSERT_FALSE(body.is_error()) << body.error().message();
    EXPECT_EQ(body->cmd, (std::vector<std::string> { "sh", "-c", "id" }));
    EXPECT_EQ(body->env, (std::vector<std::string> { "A=1" }));
    EXPECT_EQ(body->user, "alice");
    EXPECT_EQ(body->working_dir, "/tmp");
    EXPECT_TRUE(body->tty);
    EXPECT_TRUE(body->attach_stdin);
    EXPECT_TRUE(body->attach_stdout);
    EXPECT_TRUE(body->attach_stderr);
    EXPECT_FALSE(body->privileged);
    // Go's strslice: one string is one word.
    auto single = parse_exec_create(json::parse(R"({"Cmd":"ls","Env":null})"));
    ASSERT_FALSE(single.is_error());
    EXPECT_EQ(single->cmd, (std::vector<std::string> { "ls" }));
}

TEST(RequestBodies, WrongTypesNameTheField)
{
    EXPECT_EQ(parse_exec_create(json::parse(R"({"Tty":"yes"})")).error().message(),
        "invalid exec config: Tty must be a boolean");
    EXPECT_EQ(parse_exec_create(json::parse(R"({"Cmd":["a",1]})")).error().message(),
        "invalid exec config: Cmd must be a list of strings");
    EXPECT_EQ(parse_exec_create(json::parse("[1]")).error().message(),
        "invalid exec config: the body must be a JSON object");
    EXPECT_EQ(parse_exec_start(json::parse(R"({"Detach":1})")).error().message(),
        "invalid exec start config: Detach must be a boolean");
    EXPECT_EQ(parse_volume_create(json::parse(R"({"Labels":{"a":3}})")).error().message(),
        "invalid volume config: Labels.a must be a string");
    EXPECT_EQ(parse_volume_create(json::parse(R"({"Name":7})")).error().code(), EINVAL);
}

TEST(RequestBodies, ExecStartAndVolumeCreate)
{
    EXPECT_TRUE(parse_exec_start(json::parse(R"({"Detach":true,"Tty":false})")).value());
    EXPECT_FALSE(parse_exec_start(json::object()).value());
    auto volume = parse_volume_create(
        json::parse(R"({"Name":"data","Driver":"","DriverOpts":{"type":"tmpfs"},"Labels":{"a":"b"}})"));
    ASSERT_FALSE(volume.is_error());
    EXPECT_EQ(volume->name, "data");
    EXPECT_EQ(volume->driver, "local");
    EXPECT_EQ(volume->driver_opts, (std::map<std::string, std::string> { { "type", "tmpfs" } }));
    EXPECT_EQ(volume->labels, (std::map<std::string, std::string> { { "a", "b" } }));
}

TEST(RequestBodies, FilterArgsInBothForms)
{
    auto filters = parse_filter_args(R"({"label":{"a=b":true},"dangling":["true"]})", { "label", "dangling" });
    ASSERT_FALSE(filters.is_error());
    EXPECT_EQ(filters->at("label"), (std::vector<std::string> { "a=b" }));
    EXPECT_EQ(filters->at("dangling"), (std::vector<std::string> { "true" }));
    EXPECT_TRUE(parse_filter_args("", { "label" })->empty());
    EXPECT_EQ(parse_filter_args(R"({"colour":["red"]})", { "label" }).error().message(), "invalid filter 'colour'");
    EXPECT_EQ(parse_filter_args("{", { "label" }).error().message(), "invalid filter: {");
    EXPECT_EQ(parse_filter_args(R"({"label":"a"})", { "label" }).error().message(),
        "invalid filter 'label': expected a list of values");
    EXPECT_EQ(parse_filter_args(R"({"label":[1]})", { "label" }).error().message(),
        "invalid filter 'label': values must be strings");
}
