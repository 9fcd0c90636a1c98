// The pure parts of the API client and of `system-docker`: HTTP response
// parsing, Go's text/template and tabwriter as docker uses them, docker's
// list rows and units, flag parsing, and the request bodies docker's CLI
// builds. Expected outputs come from docker/cli 20.10 (its sources and, for
// the create bodies, what /usr/bin/docker 20.10.24 sent to a socket).

#include "api/client.h"
#include "api/client_http.h"
#include "cli/system_docker_cli.h"
#include "cli/system_docker_flags.h"
#include "cli/system_docker_format.h"
#include "cli/system_docker_json.h"
#include "cli/system_docker_stream.h"
#include "cli/system_docker_template.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <unistd.h>

using namespace corral;
using namespace corral::cli;

namespace {

std::string render(std::string_view text, const Json& data)
{
    auto tmpl = Template::parse(text);
    if (tmpl.is_error())
        return "PARSE: " + tmpl.error().message();
    TemplateData d;
    d.value = data;
    auto out = tmpl->execute(d);
    if (out.is_error())
        return "EXEC: " + out.error().message();
    return *out;
}

// Times print in the local zone, as docker prints them; the tests fix it.
void use_utc()
{
    ::setenv("TZ", "UTC", 1);
    ::tzset();
}

Json sample()
{
    return Json::parse(R"({"Id":"abc","State":{"Status":"running","Pid":42,"Health":null},
        "Config":{"Labels":{"com.example.vendor":"acme","a":"b"},"Env":["A=1","B=2"],"Cmd":["sh","-c","x"]},
        "Name":"/web","Ratio":0.5,"Big":1000000.0,"Html":"<a&b>"})");
}

} // namespace

// ---- HTTP responses

TEST(ClientHttp, ParsesHeadInPieces)
{
    std::string text = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nApi-Version: 1.41\r\n"
                       "X-Twice: a\r\nx-twice: b\r\n\r\nrest";
    api::ClientResponse response;
    auto partial = api::parse_response_head(text.substr(0, 20), response);
    ASSERT_FALSE(partial.is_error());
    EXPECT_FALSE(partial->has_value());
    auto full = api::parse_response_head(text, response);
    ASSERT_FALSE(full.is_error());
    ASSERT_TRUE(full->has_value());
    EXPECT_EQ(text.substr(**full), "rest");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.reason, "OK");
    EXPECT_EQ(response.header("content-type"), "application/json");
    EXPECT_EQ(response.header("x-twice"), "a, b");
}

TEST(ClientHttp, RefusesMalformedHeads)
{
    api::ClientResponse response;
    auto bad = api::parse_response_head("HTTQ/1.1 200 OK\r\n\r\n", response);
    ASSERT_TRUE(bad.is_error());
    EXPECT_EQ(bad.error().code(), EPROTO);
    EXPECT_TRUE(api::parse_response_head("HTTP/1.1 2x0 OK\r\n\r\n", response).is_error());
    EXPECT_TRUE(api::parse_response_head("HTTP/1.1 200 OK\r\nno colon\r\n\r\n", response).is_error());
    std::string huge = "HTTP/1.1 200 OK\r\nX: " + std::string(api::MAX_RESPONSE_HEAD, 'a');
    auto too_long = api::parse_response_head(huge, response);
    ASSERT_TRUE(too_long.is_error());
    EXPECT_EQ(too_long.error().code(), EPROTO);
}

TEST(ClientHttp, DecodesChunkedBodyFedByteByByte)
{
    api::ClientResponse head;
    head.status = 200;
    head.headers["transfer-encoding"] = "chunked";
    auto decoder = api::BodyDecoder::for_response(head, "GET");
    ASSERT_FALSE(decoder.is_error());
    std::string wire = "5;ext=1\r\nhello\r\n1A\r\n" + std::string(26, 'x') + "\r\n0\r\nTrailer: y\r\n\r\nNEXT";
    std::string body;
    size_t used_total = 0;
    for (size_t i = 0; i < wire.size() && !decoder->done(); ++i) {
        auto used = decoder->feed(std::string_view(wire).substr(i, 1), body);
        ASSERT_FALSE(used.is_error()) << used.error().message();
        used_total += *used;
    }
    EXPECT_TRUE(decoder->done());
    EXPECT_EQ(body, "hello" + std::string(26, 'x'));
    EXPECT_EQ(wire.substr(used_total), "NEXT");
}

TEST(ClientHttp, ContentLengthAndUntilClose)
{
    api::ClientResponse head;
    head.status = 200;
    head.headers["content-length"] = "4";
    auto decoder = api::BodyDecoder::for_response(head, "GET");
    ASSERT_FALSE(decoder.is_error());
    std::string body;
    auto used = decoder->feed("abcdef", body);
    ASSERT_FALSE(used.is_error());
    EXPECT_EQ(*used, 4u);
    EXPECT_EQ(body, "abcd");
    EXPECT_TRUE(decoder->done());

    api::BodyDecoder cut(api::BodyDecoder::Framing::Length, 10);
    body.clear();
    ASSERT_FALSE(cut.feed("abc", body).is_error());
    auto eof = cut.finish_at_eof();
    ASSERT_TRUE(eof.is_error());
    EXPECT_EQ(eof.error().code(), EPROTO);

    head.headers.clear();
    auto until_close = api::BodyDecoder::for_response(head, "GET");
    ASSERT_FALSE(until_close.is_error());
    EXPECT_EQ(until_close->framing(), api::BodyDecoder::Framing::UntilClose);
    EXPECT_FALSE(until_close->finish_at_eof().is_error());

    head.status = 204;
    EXPECT_EQ(api::BodyDecoder::for_response(head, "GET")->framing(), api::BodyDecoder::Framing::None);
    head.status = 200;
    head.headers["content-length"] = "12x";
    EXPECT_TRUE(api::BodyDecoder::for_response(head, "GET").is_error());
}

TEST(ClientHttp, BadChunkSizeIsAnError)
{
    api::BodyDecoder decoder(api::BodyDecoder::Framing::Chunked);
    std::string body;
    auto result = decoder.feed("zz\r\n", body);
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().code(), EPROTO);
}

TEST(ClientHttp, HostsAndEscapes)
{
    EXPECT_EQ(*api::parse_docker_host("unix:///run/x.sock"), "/run/x.sock");
    EXPECT_EQ(*api::parse_docker_host("unix://"), "/var/run/system-docker.sock");
    auto tcp = api::parse_docker_host("tcp://127.0.0.1:2375");
    ASSERT_TRUE(tcp.is_error());
    EXPECT_EQ(tcp.error().code(), EINVAL);
    EXPECT_NE(tcp.error().message().find("tcp:// is not supported"), std::string::npos);
    EXPECT_TRUE(api::parse_docker_host("127.0.0.1:2375").is_error());
    EXPECT_EQ(api::query_escape("{\"name\":{\"a b\":true}}"), "%7B%22name%22%3A%7B%22a+b%22%3Atrue%7D%7D");
    EXPECT_EQ(api::path_escape("/images/corral-test/busybox:latest/json"), "/images/corral-test/busybox:latest/json");
    EXPECT_EQ(api::path_escape("/a b?#%"), "/a%20b%3F%23%25");
    EXPECT_EQ(api::errno_for_status(404), ENOENT);
    EXPECT_EQ(api::errno_for_status(409), EBUSY);
    EXPECT_EQ(api::errno_for_status(400), EINVAL);
    EXPECT_EQ(api::errno_for_status(500), EIO);
}

TEST(ClientHttp, UnreachableDaemonIsConnectionRefused)
{
    auto client = api::Client::create("unix:///nonexistent/corral/test.sock");
    ASSERT_FALSE(client.is_error());
    auto response = client->request("GET", "/_ping");
    ASSERT_TRUE(response.is_error());
    EXPECT_EQ(response.error().code(), ECONNREFUSED);
    EXPECT_EQ(response.error().message(),
        "Cannot connect to the Docker daemon at unix:///nonexistent/corral/test.sock. Is the docker daemon running?");
    EXPECT_EQ(client->last_status(), 0);
}

// ---- Go templates

TEST(Template, FieldsChainsAndPrinting)
{
    Json data = sample();
    EXPECT_EQ(render("{{.State.Status}} {{.State.Pid}}", data), "running 42");
    EXPECT_EQ(render("{{json .Config.Cmd}}", data), "[\"sh\",\"-c\",\"x\"]");
    EXPECT_EQ(render("{{json .Html}}", data), "\"<a&b>\"");
    EXPECT_EQ(render("{{.Config.Labels}} {{.Config.Env}}", data), "map[a:b com.example.vendor:acme] [A=1 B=2]");
    EXPECT_EQ(render("{{.Ratio}} {{.Big}} {{.State.Health}}", data), "0.5 1e+06 <nil>");
    EXPECT_EQ(render("{{.Config.Labels.missing}}", data), "<no value>");
    EXPECT_EQ(
        render("{{index .Config.Labels \"com.example.vendor\"}}|{{index .Config.Labels \"x\"}}|", data), "acme||");
}

TEST(Template, ControlStructuresAndVariables)
{
    Json data = sample();
    EXPECT_EQ(render("{{range $i, $e := .Config.Env}}{{$i}}={{$e}};{{end}}", data), "0=A=1;1=B=2;");
    EXPECT_EQ(render("{{range .Config.Labels}}{{.}},{{end}}", data), "b,acme,");
    EXPECT_EQ(render("{{range .Config.Labels.none}}x{{else}}empty{{end}}", data), "empty");
    EXPECT_EQ(render("{{with .State}}{{.Status}}{{end}}", data), "running");
    EXPECT_EQ(render("{{if eq .State.Status \"exited\"}}a{{else if eq .State.Pid 42}}b{{else}}c{{end}}", data), "b");
    EXPECT_EQ(render("{{$x := .Name}}{{$x}}{{$x = \"y\"}}{{$x}}", data), "/weby");
    EXPECT_EQ(render("{{range .Config.Env}}{{if eq . \"B=2\"}}{{break}}{{end}}{{.}}{{end}}", data), "A=1");
    EXPECT_EQ(render("{{- \" a \" -}}  \n {{.Name}}", data), " a /web");
    EXPECT_EQ(render("x{{/* comment */}}y", data), "xy");
}

TEST(Template, FunctionsAndPipelines)
{
    Json data = sample();
    EXPECT_EQ(render("{{.Name | printf \"%s!\"}}", data), "/web!");
    EXPECT_EQ(
        render("{{printf \"%5d|%-4s|%q|%.2f\" .State.Pid \"ab\" .Name .Ratio}}", data), "   42|ab  |\"/web\"|0.50");
    EXPECT_EQ(
        render("{{join (split \"a,b,c\" \",\") \"-\"}} {{upper \"ab\"}} {{lower \"AB\"}} {{title \"hello wo-rld\"}}",
            data),
        "a-b-c AB ab Hello Wo-Rld");
    EXPECT_EQ(render("{{len .Config.Env}} {{truncate \"abcdef\" 3}} [{{pad \"x\" 1 2}}]", data), "2 abc [ x  ]");
    EXPECT_EQ(render("{{or .Config.Labels.missing \"def\"}} {{and 1 0}} {{not 0}}", data), "def 0 true");
    EXPECT_EQ(render("{{lt 1 2}} {{ge \"b\" \"a\"}} {{ne .State.Pid 41}}", data), "true true true");
    EXPECT_EQ(render("{{println 1 2}}{{print 1 2 \"a\" 3}}", data), "1 2\n1 2a3");
    EXPECT_EQ(render("{{slice \"abcdef\" 1 3}} {{html \"<b>\"}}", data), "bc &lt;b&gt;");
}

TEST(Template, ErrorsReadLikeGo)
{
    Json data = sample();
    EXPECT_EQ(render("{{.Name", data), "PARSE: template: :1: unclosed action");
    EXPECT_EQ(render("{{foo}}", data), "PARSE: template: :1: function \"foo\" not defined");
    EXPECT_EQ(render("{{if .Name}}", data), "PARSE: template: :1: unexpected EOF");
    EXPECT_EQ(render("{{end}}", data), "PARSE: template: :1: unexpected {{end}}");
    EXPECT_EQ(render("{{define \"x\"}}{{end}}", data), "PARSE: template: :1: {{define}} is not supported");
    EXPECT_EQ(render("{{.State.Nope}}", data),
        "EXEC: template: :1:8: executing \"\" at <.State.Nope>: map has no entry for key \"Nope\"");
    EXPECT_EQ(render("{{.State.Health.Status}}", data),
        "EXEC: template: :1:2: executing \"\" at <.State.Health.Status>: nil pointer evaluating interface {}.Status");
    EXPECT_EQ(render("{{eq 1 1.0}}", data),
        "EXEC: template: :1:2: executing \"\" at <eq 1 1.0>: error calling eq: incompatible types for comparison");
}

TEST(Template, MethodsAliasesAndRootTypes)
{
    TemplateData data;
    data.value = Json { { "Id", "abc" }, { "status", "start" } };
    data.methods["Label"]
        = [](const std::vector<Json>& args) -> ErrorOr<Json> { return "label:" + args.at(0).get<std::string>(); };
    data.field_aliases = go_field_aliases();
    auto tmpl = Template::parse("{{.Label \"x\"}} {{.ID}} {{.Status}}");
    ASSERT_FALSE(tmpl.is_error());
    EXPECT_EQ(*tmpl->execute(data), "label:x abc start");

    data.root_type = "*formatter.ContainerContext";
    auto missing = Template::parse("{{.Foo}}");
    ASSERT_FALSE(missing.is_error());
    auto result = missing->execute(data);
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().message(),
        "template: :1:2: executing \"\" at <.Foo>: can't evaluate field Foo in type *formatter.ContainerContext");
}

TEST(Template, BoundsNestingAndOutput)
{
    std::string deep;
    for (int i = 0; i < 200; ++i)
        deep += "{{if 1}}";
    EXPECT_NE(render(deep, Json::object()).find("PARSE"), std::string::npos);
    std::string parens = "{{" + std::string(200, '(') + "1" + std::string(200, ')') + "}}";
    EXPECT_NE(render(parens, Json::object()).find("nesting too deep"), std::string::npos);
}

// ---- JSON as Go writes it

TEST(GoJson, EscapesAndNumbers)
{
    EXPECT_EQ(go_json_string("a\"b\\c\n\t\x01<>&\u2028"), "\"a\\\"b\\\\c\\n\\t\\u0001<>&\\u2028\"");
    EXPECT_EQ(go_json_string("<>&", EscapeHtml::Yes), "\"\\u003c\\u003e\\u0026\"");
    EXPECT_EQ(go_json_string("\xff"), "\"\\ufffd\"");
    EXPECT_EQ(go_json_float(0.5), "0.5");
    EXPECT_EQ(go_json_float(1e21), "1e+21");
    EXPECT_EQ(go_json_float(1e-7), "1e-7");
    EXPECT_EQ(go_json_float(123456789.0), "123456789");
    EXPECT_EQ(go_format_float(1234567.0), "1.234567e+06");
    EXPECT_EQ(go_format_float(123456.0), "123456");
    EXPECT_EQ(go_json(Json::parse(R"({"b":[1,true,null],"a":{}})")), R"({"b":[1,true,null],"a":{}})");
}

TEST(GoJson, IndentKeepsTokens)
{
    auto indented = json_indent("[{\"b\":1.50,\"a\":\"\\u003c\",\"e\":[],\"o\":{}},{\"x\":[1,2]}]\n", "    ");
    ASSERT_FALSE(indented.is_error());
    EXPECT_EQ(*indented,
        "[\n    {\n        \"b\": 1.50,\n        \"a\": \"\\u003c\",\n        \"e\": [],\n        \"o\": {}\n    },\n"
        "    {\n        \"x\": [\n            1,\n            2\n        ]\n    }\n]\n");
    EXPECT_TRUE(json_indent("{\"a\":", "  ").is_error());
}

// ---- tabwriter and docker's list formatter

TEST(TabWriter, ColumnsAsGoLaysThemOut)
{
    EXPECT_EQ(tabwrite("CONTAINER ID\tIMAGE\tNAMES\nabc\tbusybox\tweb\n", 10, 1, 3),
        "CONTAINER ID   IMAGE     NAMES\nabc            busybox   web\n");
    // A line with fewer cells ends the column block.
    EXPECT_EQ(tabwrite("a\tb\nlonger line\nccccccccccccc\td\n", 2, 1, 1), "a b\nlonger line\nccccccccccccc d\n");
    EXPECT_EQ(tabwrite("é\tx\n", 1, 1, 1), "é x\n");
}

TEST(ListFormat, TableQuietAndJson)
{
    use_utc();
    Json container = Json::parse(R"({"Id":"13b3a84fe2c6ef0a90409b985b7481a06bcf4389b7e93a8959028042c9728cd3",
        "Names":["/web"],"Image":"corral-test/busybox","ImageID":"sha256:7a14","Command":"sh -c 'echo hello; while true; do sleep 1; done'",
        "Created":1700000000,"Ports":[],"Labels":{"b":"2","a":"1"},"State":"running","Status":"Up 2 minutes",
        "NetworkSettings":{"Networks":{"none":{}}},"Mounts":[]})");
    int64_t now = (1700000000LL + 125) * 1000000000LL;
    std::vector<TemplateData> rows { container_row(container, true, now) };
    auto table = format_list(container_format("table", false, false), rows, container_header());
    ASSERT_FALSE(table.is_error()) << table.error().message();
    EXPECT_EQ(*table,
        "CONTAINER ID   IMAGE                 COMMAND                  CREATED         STATUS         PORTS     NAMES\n"
        "13b3a84fe2c6   corral-test/busybox   \"sh -c 'echo hello; …\"   2 minutes ago   Up 2 minutes             "
        "web\n");
    auto quiet = format_list(container_format("table", true, false), rows, container_header());
    EXPECT_EQ(*quiet, "13b3a84fe2c6\n");
    auto custom
        = format_list("{{.ID}} {{.Names}} {{.Label \"a\"}} {{.Labels}} {{.Networks}}", rows, container_header());
    EXPECT_EQ(*custom, "13b3a84fe2c6 web 1 a=1,b=2 none\n");
    auto json = format_list("{{json .}}", rows, container_header());
    ASSERT_FALSE(json.is_error());
    EXPECT_TRUE(json->starts_with("{\"Command\":\"\\\"sh -c 'echo hello; …\\\"\",\"CreatedAt\":\"2023-11-14 22:13:20"))
        << *json;
    EXPECT_NE(json->find("\"LocalVolumes\":\"0\""), std::string::npos);
    auto custom_table = format_list("table {{.ID}}\\t{{.Label \"com.example.vendor\"}}", rows, container_header());
    EXPECT_EQ(*custom_table, "CONTAINER ID   vendor\n13b3a84fe2c6   \n");
    auto empty = format_list(container_format("table", false, false), {}, container_header());
    EXPECT_EQ(*empty, "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n");
    auto bad = format_list("{{.Nope}}", rows, container_header());
    ASSERT_TRUE(bad.is_error());
    EXPECT_EQ(bad.error().message(),
        "template parsing error: template: :1:2: executing \"\" at <.Nope>: can't "
        "evaluate field Nope in type *formatter.ContainerContext");
}

TEST(ListFormat, ImageRows)
{
    Json image = Json::parse(R"({"Id":"sha256:7a142515ec0b0c1efe7e1dacc9e608cb0fdfd10965906af69accb56bde991290",
        "RepoTags":["corral-test/busybox:latest","docker.io/library/busybox:1.36"],"RepoDigests":[],
        "Created":1700000000,"Size":1980000,"VirtualSize":1980000,"SharedSize":-1,"Containers":-1})");
    int64_t now = (1700000000LL + 3 * 86400) * 1000000000LL;
    auto rows = image_rows(image, true, false, false, now);
    ASSERT_EQ(rows.size(), 2u);
    auto table = format_list(image_format("table", false, false), rows, image_header());
    ASSERT_FALSE(table.is_error()) << table.error().message();
    EXPECT_EQ(*table,
        "REPOSITORY            TAG       IMAGE ID       CREATED      SIZE\n"
        "corral-test/busybox   latest    7a142515ec0b   3 days ago   1.98MB\n"
        "busybox               1.36      7a142515ec0b   3 days ago   1.98MB\n");
    auto dangling = image_rows(Json::parse(R"({"Id":"sha256:ab","RepoTags":[],"RepoDigests":[],"Created":0,"Size":0})"),
        true, false, false, now);
    ASSERT_EQ(dangling.size(), 1u);
    EXPECT_EQ(dangling[0].value["Repository"], "<none>");
    EXPECT_EQ(image_format("table {{.ID}}", false, true), "table {{.ID}}\t{{.Digest}}");
}

TEST(ListFormat, Ports)
{
    Json ports = Json::parse(R"([{"PrivatePort":80,"PublicPort":8080,"Type":"tcp","IP":"0.0.0.0"},
        {"PrivatePort":443,"Type":"tcp"},{"PrivatePort":444,"Type":"tcp"},{"PrivatePort":53,"PublicPort":53,"Type":"udp","IP":"0.0.0.0"}])");
    EXPECT_EQ(displayable_ports(ports), "0.0.0.0:53->53/udp, 443-444/tcp, 0.0.0.0:8080->80/tcp");
}

// ---- units and times

TEST(Units, SizesDurationsAndIds)
{
    EXPECT_EQ(human_size(0, 3), "0B");
    EXPECT_EQ(human_size(1980000, 3), "1.98MB");
    EXPECT_EQ(human_size(999, 4), "999B");
    EXPECT_EQ(human_size(1234567890), "1.235GB");
    EXPECT_EQ(bytes_size(25276510208.0), "23.54GiB");
    EXPECT_EQ(bytes_size(1024), "1KiB");
    const int64_t s = 1000000000;
    EXPECT_EQ(human_duration(s / 2), "Less than a second");
    EXPECT_EQ(human_duration(s), "1 second");
    EXPECT_EQ(human_duration(59 * s), "59 seconds");
    EXPECT_EQ(human_duration(60 * s), "About a minute");
    EXPECT_EQ(human_duration(45 * 60 * s), "45 minutes");
    EXPECT_EQ(human_duration(3600 * s), "About an hour");
    EXPECT_EQ(human_duration(47 * 3600 * s), "47 hours");
    EXPECT_EQ(human_duration(13 * 86400 * s), "13 days");
    EXPECT_EQ(human_duration(20 * 86400 * s), "2 weeks");
    EXPECT_EQ(human_duration(100 * 86400 * s), "3 months");
    EXPECT_EQ(human_duration(800 * 86400 * s), "2 years");
    EXPECT_EQ(ellipsis("sh -c 'echo hello; while'", 20), "sh -c 'echo hello; …");
    EXPECT_EQ(ellipsis("short", 20), "short");
    EXPECT_EQ(truncate_id("sha256:7a142515ec0b0c1efe7e1dac"), "7a142515ec0b");
    EXPECT_EQ(*ram_in_bytes("64m"), 64 * 1024 * 1024);
    EXPECT_EQ(*ram_in_bytes("1.5g"), static_cast<int64_t>(1.5 * 1024 * 1024 * 1024));
    EXPECT_EQ(*ram_in_bytes("100"), 100);
    EXPECT_EQ(ram_in_bytes("abc").error().message(), "invalid size: 'abc'");
}

TEST(Units, TimestampsForSinceAndUntil)
{
    use_utc();
    struct timespec now {
        1700000000, 500000000
    };
    EXPECT_EQ(*api_timestamp("10m", now), "1699999400");
    EXPECT_EQ(*api_timestamp("1h30m", now), "1699994600");
    EXPECT_EQ(*api_timestamp("2023-11-14T22:13:20Z", now), "1700000000.000000000");
    EXPECT_EQ(*api_timestamp("2023-11-14T22:13:20.25+01:00", now), "1699996400.250000000");
    EXPECT_EQ(*api_timestamp("2023-11-14", now), "1699920000.000000000");
    EXPECT_EQ(*api_timestamp("1700000000.5", now), "1700000000.5");
    EXPECT_TRUE(api_timestamp("yesterday", now).is_error());
    EXPECT_EQ(*parse_go_duration("1h2m3.5s"), 3723500000000LL);
    EXPECT_EQ(parse_go_duration("5").error().message(), "time: missing unit in duration \"5\"");
    EXPECT_EQ(rfc3339_nano_fixed_local(1700000000123000000LL), "2023-11-14T22:13:20.123000000Z");
    EXPECT_EQ(go_time_string(1700000000), "2023-11-14 22:13:20 +0000 UTC");
}

// ---- flags

TEST(Flags, PflagForms)
{
    bool all = false, quiet = false, rm = true;
    std::string name;
    std::vector<std::string> env;
    int64_t last = -1;
    FlagSet flags("x", "x");
    flags.add_bool("all", 'a', &all, "");
    flags.add_bool("quiet", 'q', &quiet, "");
    flags.add_bool("rm", 0, &rm, "");
    flags.add_string("name", 0, &name, "");
    flags.add_list("env", 'e', &env, "");
    flags.add_int("last", 'n', &last, "");
    auto positional = flags.parse(
        { "-aq", "pos1", "--name=web", "-eA=1", "-e", "B=2", "-e=C", "--rm=false", "-n", "0x10", "--", "-a" });
    ASSERT_FALSE(positional.is_error()) << positional.error().message();
    EXPECT_EQ(*positional, (std::vector<std::string> { "pos1", "-a" }));
    EXPECT_TRUE(all);
    EXPECT_TRUE(quiet);
    EXPECT_FALSE(rm);
    EXPECT_EQ(name, "web");
    EXPECT_EQ(env, (std::vector<std::string> { "A=1", "B=2", "C" }));
    EXPECT_EQ(last, 16);
    EXPECT_TRUE(flags.changed("name"));
    EXPECT_FALSE(FlagSet("x", "x").changed("name"));
}

TEST(Flags, ErrorsAndInterspersing)
{
    bool detach = false;
    std::string name;
    int64_t count = 0;
    FlagSet flags("run", "run", Interspersed::No);
    flags.add_bool("detach", 'd', &detach, "");
    flags.add_string("name", 0, &name, "");
    flags.add_int("last", 'n', &count, "");
    auto stops = flags.parse({ "-d", "image", "sh", "-c", "--name" });
    ASSERT_FALSE(stops.is_error());
    EXPECT_EQ(*stops, (std::vector<std::string> { "image", "sh", "-c", "--name" }));
    EXPECT_EQ(flags.parse({ "--nope" }).error().message(), "unknown flag: --nope");
    EXPECT_EQ(flags.parse({ "-dx" }).error().message(), "unknown shorthand flag: 'x' in -dx");
    EXPECT_EQ(flags.parse({ "--name" }).error().message(), "flag needs an argument: --name");
    EXPECT_EQ(flags.parse({ "-n" }).error().message(), "flag needs an argument: 'n' in -n");
    EXPECT_EQ(flags.parse({ "-n", "abc" }).error().message(),
        "invalid argument \"abc\" for \"-n, --last\" flag: strconv.ParseInt: parsing \"abc\": invalid syntax");
    EXPECT_EQ(flags.parse({ "--detach=maybe" }).error().message(),
        "invalid argument \"maybe\" for \"-d, --detach\" flag: strconv.ParseBool: parsing \"maybe\": invalid syntax");
    FlagSet help("ps", "List containers");
    ASSERT_FALSE(help.parse({ "-h" }).is_error());
    EXPECT_TRUE(help.help_requested());
}

TEST(Flags, FiltersJson)
{
    EXPECT_EQ(*filters_json({ "name=web", "status=exited", " Label = a=b " }),
        "{\"label\":{\"a=b\":true},\"name\":{\"web\":true},\"status\":{\"exited\":true}}");
    EXPECT_EQ(filters_json({ "nope" }).error().message(), "bad format of filter (expected name=value)");
    EXPECT_EQ(*parse_detach_keys("ctrl-p,ctrl-q"), "\x10\x11");
    EXPECT_EQ(*parse_detach_keys("a,ctrl-@"), std::string("a\0", 2));
    EXPECT_TRUE(parse_detach_keys("ctrl-1").is_error());
}

// ---- request bodies

namespace {

ErrorOr<Json> create_body(std::vector<std::string> args, bool with_detach = true)
{
    ContainerOptions options;
    FlagSet flags("run", "run", Interspersed::No);
    flags.add_bool("detach", 'd', &options.detach, "");
    flags.add_string("name", 0, &options.name, "");
    add_container_flags(flags, options);
    auto positional = TRY(flags.parse(args));
    note_changed_flags(flags, options);
    options.image = positional.at(0);
    options.command.assign(positional.begin() + 1, positional.end());
    return build_create_body(options, with_detach && options.detach);
}

} // namespace

// What `docker run -d busybox` (20.10.24) sends.
TEST(CreateBody, Defaults)
{
    auto body = create_body({ "-d", "busybox" });
    ASSERT_FALSE(body.is_error()) << body.error().message();
    EXPECT_EQ(go_json(*body),
        R"({"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":null,"Image":"busybox","Volumes":{},"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{},"HostConfig":{"Binds":null,"ContainerIDFile":"","LogConfig":{"Type":"","Config":{}},"NetworkMode":"default","PortBindings":{},"RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":false,"VolumeDriver":"","VolumesFrom":null,"CapAdd":null,"CapDrop":null,"CgroupnsMode":"","Dns":[],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,"GroupAdd":null,"IpcMode":"","Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"","Privileged":false,"PublishAllPorts":false,"ReadonlyRootfs":false,"SecurityOpt":null,"UTSMode":"","UsernsMode":"","ShmSize":0,"ConsoleSize":[0,0],"Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,"CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":[],"BlkioDeviceReadBps":null,"BlkioDeviceWriteBps":null,"BlkioDeviceReadIOps":null,"BlkioDeviceWriteIOps":null,"CpuPeriod":0,"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"","Devices":[],"DeviceCgroupRules":null,"DeviceRequests":null,"KernelMemory":0,"KernelMemoryTCP":0,"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":-1,"OomKillDisable":false,"PidsLimit":0,"Ulimits":null,"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,"MaskedPaths":null,"ReadonlyPaths":null},"NetworkingConfig":{"EndpointsConfig":{}}})");
}

// The brief's flags, as docker 20.10.24 sent them (its Env order comes from a
// Go map and varies between runs; ours keeps the order given).
TEST(CreateBody, ManyFlags)
{
    ::unsetenv("CORRAL_TEST_UNSET_VARIABLE");
    auto body = create_body({ "-d", "--name", "web", "-e", "A=1", "-e", "CORRAL_TEST_UNSET_VARIABLE", "-v", "/a:/b:ro",
        "-v", "/data", "-w", "/tmp", "-u", "1000", "--restart", "on-failure:3", "--privileged", "--net", "none",
        "--pid", "host", "--ipc", "host", "--uts", "host", "--read-only", "--volumes-from", "x", "--entrypoint",
        "/bin/sh", "-l", "k=v", "--cap-add", "NET_ADMIN", "--cap-drop", "ALL", "--init", "--log-driver", "json-file",
        "--log-opt", "max-size=1m", "--device", "/dev/fuse", "--tmpfs", "/run:size=1m", "-h", "myhost", "-m", "64m",
        "--cpus", "1.5", "-it", "--rm=false", "busybox", "sh", "-c", "echo hi" });
    ASSERT_FALSE(body.is_error()) << body.error().message();
    EXPECT_EQ(go_json(*body),
        R"({"Hostname":"myhost","Domainname":"","User":"1000","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":true,"OpenStdin":true,"StdinOnce":false,"Env":["A=1","CORRAL_TEST_UNSET_VARIABLE"],"Cmd":["sh","-c","echo hi"],"Image":"busybox","Volumes":{"/data":{}},"WorkingDir":"/tmp","Entrypoint":["/bin/sh"],"OnBuild":null,"Labels":{"k":"v"},"HostConfig":{"Binds":["/a:/b:ro"],"ContainerIDFile":"","LogConfig":{"Type":"json-file","Config":{"max-size":"1m"}},"NetworkMode":"none","PortBindings":{},"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":3},"AutoRemove":false,"VolumeDriver":"","VolumesFrom":["x"],"CapAdd":["NET_ADMIN"],"CapDrop":["ALL"],"CgroupnsMode":"","Dns":[],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,"GroupAdd":null,"IpcMode":"host","Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"host","Privileged":true,"PublishAllPorts":false,"ReadonlyRootfs":true,"SecurityOpt":null,"Tmpfs":{"/run":"size=1m"},"UTSMode":"host","UsernsMode":"","ShmSize":0,"ConsoleSize":[0,0],"Isolation":"","CpuShares":0,"Memory":67108864,"NanoCpus":1500000000,"CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":[],"BlkioDeviceReadBps":null,"BlkioDeviceWriteBps":null,"BlkioDeviceReadIOps":null,"BlkioDeviceWriteIOps":null,"CpuPeriod":0,"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"","Devices":[{"PathOnHost":"/dev/fuse","PathInContainer":"/dev/fuse","CgroupPermissions":"rwm"}],"DeviceCgroupRules":null,"DeviceRequests":null,"KernelMemory":0,"KernelMemoryTCP":0,"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":-1,"OomKillDisable":false,"PidsLimit":0,"Ulimits":null,"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,"MaskedPaths":null,"ReadonlyPaths":null,"Init":true},"NetworkingConfig":{"EndpointsConfig":{}}})");
}

TEST(CreateBody, PortsStopAndEmptyEntrypoint)
{
    auto body = create_body({ "-d", "--rm", "-i", "--entrypoint", "", "--stop-signal", "SIGINT", "--stop-timeout", "5",
        "-p", "8080:80", "--expose", "90", "--dns", "1.1.1.1", "--add-host", "a:1.2.3.4", "busybox" });
    ASSERT_FALSE(body.is_error()) << body.error().message();
    EXPECT_EQ(go_json(*body),
        R"({"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"ExposedPorts":{"80/tcp":{},"90/tcp":{}},"Tty":false,"OpenStdin":true,"StdinOnce":false,"Env":null,"Cmd":null,"Image":"busybox","Volumes":{},"WorkingDir":"","Entrypoint":[""],"OnBuild":null,"Labels":{},"StopSignal":"SIGINT","StopTimeout":5,"HostConfig":{"Binds":null,"ContainerIDFile":"","LogConfig":{"Type":"","Config":{}},"NetworkMode":"default","PortBindings":{"80/tcp":[{"HostIp":"","HostPort":"8080"}]},"RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":true,"VolumeDriver":"","VolumesFrom":null,"CapAdd":null,"CapDrop":null,"CgroupnsMode":"","Dns":["1.1.1.1"],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":["a:1.2.3.4"],"GroupAdd":null,"IpcMode":"","Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"","Privileged":false,"PublishAllPorts":false,"ReadonlyRootfs":false,"SecurityOpt":null,"UTSMode":"","UsernsMode":"","ShmSize":0,"ConsoleSize":[0,0],"Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,"CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":[],"BlkioDeviceReadBps":null,"BlkioDeviceWriteBps":null,"BlkioDeviceReadIOps":null,"BlkioDeviceWriteIOps":null,"CpuPeriod":0,"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"","Devices":[],"DeviceCgroupRules":null,"DeviceRequests":null,"KernelMemory":0,"KernelMemoryTCP":0,"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":-1,"OomKillDisable":false,"PidsLimit":0,"Ulimits":null,"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,"MaskedPaths":null,"ReadonlyPaths":null},"NetworkingConfig":{"EndpointsConfig":{}}})");
}

TEST(CreateBody, AttachedInteractive)
{
    auto body = create_body({ "-i", "busybox", "cat" });
    ASSERT_FALSE(body.is_error());
    EXPECT_TRUE((*body)["AttachStdin"].get<bool>());
    EXPECT_TRUE((*body)["AttachStdout"].get<bool>());
    EXPECT_TRUE((*body)["StdinOnce"].get<bool>());
    auto only_stderr = create_body({ "-a", "STDERR", "busybox" });
    ASSERT_FALSE(only_stderr.is_error());
    EXPECT_FALSE((*only_stderr)["AttachStdout"].get<bool>());
    EXPECT_TRUE((*only_stderr)["AttachStderr"].get<bool>());
}

TEST(CreateBody, RefusesWhatDockerRefuses)
{
    EXPECT_EQ(create_body({ "--rm", "--restart", "always", "busybox" }).error().message(),
        "Conflicting options: --restart and --rm");
    EXPECT_EQ(create_body({ "--restart", "on-failure:x", "busybox" }).error().message(),
        "maximum retry count must be an integer");
    EXPECT_EQ(create_body({ "--restart", "a:1:2", "busybox" }).error().message(), "invalid restart policy format");
    EXPECT_EQ(create_body({ "--pid", "nope", "busybox" }).error().message(), "--pid: invalid PID mode");
    EXPECT_EQ(create_body({ "-m", "abc", "busybox" }).error().message(),
        "invalid argument \"abc\" for \"-m, --memory\" flag: invalid size: 'abc'");
    EXPECT_EQ(create_body({ "--cpus", "0.0000000001", "busybox" }).error().message(),
        "invalid argument \"0.0000000001\" for \"--cpus\" flag: value is too precise");
    EXPECT_EQ(create_body({ "-a", "stdin", "-d", "busybox" }).error().message(), "Conflicting options: -a and -d");
    EXPECT_EQ(create_body({ "--device", "fuse", "busybox" }).error().message(), "bad format for path: fuse");
    EXPECT_EQ(create_body({ "-e", "=x", "busybox" }).error().message(),
        "invalid argument \"=x\" for \"-e, --env\" flag: invalid environment variable: =x");
}

TEST(ExecBody, AsDockerSendsIt)
{
    ExecOptions detached;
    detached.detach = true;
    detached.user = "root";
    detached.workdir = "/";
    detached.privileged = true;
    detached.env = { "X=1" };
    detached.command = { "sh" };
    EXPECT_EQ(go_json(*build_exec_body(detached)),
        R"({"User":"root","Privileged":true,"Tty":false,"AttachStdin":false,"AttachStderr":false,"AttachStdout":false,"Detach":true,"DetachKeys":"","Env":["X=1"],"WorkingDir":"/","Cmd":["sh"]})");
    ExecOptions interactive;
    interactive.interactive = true;
    interactive.tty = true;
    interactive.command = { "sh" };
    EXPECT_EQ(go_json(*build_exec_body(interactive)),
        R"({"User":"","Privileged":false,"Tty":true,"AttachStdin":true,"AttachStderr":true,"AttachStdout":true,"Detach":false,"DetachKeys":"","Env":null,"WorkingDir":"","Cmd":["sh"]})");
}

// ---- multiplexed output

TEST(OutputWriter, SplitsFramesAndReportsSystemErrors)
{
    int out_pipe[2], err_pipe[2];
    ASSERT_EQ(::pipe(out_pipe), 0);
    ASSERT_EQ(::pipe(err_pipe), 0);
    Cli cli { api::Client::create().release_value() };
    cli.out = out_pipe[1];
    cli.err = err_pipe[1];
    OutputWriter writer(cli, false);
    std::string stream = api::frame(api::StreamType::Stdout, "out\n") + api::frame(api::StreamType::Stderr, "err\n");
    for (char c : stream)
        ASSERT_FALSE(writer.feed(std::string_view(&c, 1)).is_error());
    auto system = writer.feed(api::frame(api::StreamType::Systemerr, "boom"));
    ASSERT_TRUE(system.is_error());
    EXPECT_EQ(system.error().message(), "error from daemon in stream: boom");
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    char buffer[64];
    ssize_t n = ::read(out_pipe[0], buffer, sizeof buffer);
    EXPECT_EQ(std::string(buffer, n > 0 ? static_cast<size_t>(n) : 0), "out\n");
    n = ::read(err_pipe[0], buffer, sizeof buffer);
    EXPECT_EQ(std::string(buffer, n > 0 ? static_cast<size_t>(n) : 0), "err\n");
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
}

TEST(ClientHttp, TcpHosts)
{
    auto tls = api::parse_tcp_host("tcp://10.0.0.1:2400", true);
    ASSERT_FALSE(tls.is_error());
    EXPECT_EQ(tls->host, "10.0.0.1");
    EXPECT_EQ(tls->port, "2400");
    EXPECT_EQ(api::parse_tcp_host("tcp://host", true)->port, "2376");
    EXPECT_EQ(api::parse_tcp_host("tcp://host", false)->port, "2375");
    EXPECT_EQ(api::parse_tcp_host("tcp://:2376", true)->host, "127.0.0.1");
    EXPECT_EQ(api::parse_tcp_host("tcp://[::1]:2376", true)->host, "::1");
    EXPECT_TRUE(api::parse_tcp_host("tcp://host:abc", true).is_error());
    EXPECT_TRUE(api::parse_tcp_host("tcp://[::1", true).is_error());
    EXPECT_TRUE(api::Client::create("ssh://host").is_error());
    EXPECT_FALSE(api::Client::create("tcp://127.0.0.1:2376").is_error());
}
