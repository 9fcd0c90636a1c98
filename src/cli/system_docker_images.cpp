// images, rmi, pull, load, save, tag.

#include "base/file.h"
#include "base/strings.h"
#include "base/system.h"
#include "cli/system_docker_cli.h"
#include "cli/system_docker_format.h"
#include "cli/system_docker_stream.h"
#include "image/reference.h"

#include <cstring>
#include <fcntl.h>
#include <map>
#include <sys/stat.h>
#include <unistd.h>

namespace corral::cli {

namespace {

// docker's jsonmessage.DisplayJSONMessagesStream: a stream of JSON messages
// (pull, load) shown as progress lines on a terminal, or one line per message.
class JsonMessageDisplay {
public:
    JsonMessageDisplay(const Cli& cli, int fd)
        : m_cli(cli)
        , m_fd(fd)
        , m_terminal(::isatty(fd))
    {
    }

    ErrorOr<void> feed(std::string_view bytes)
    {
        m_buffer.append(bytes);
        // Messages are JSON objects back to back (the daemon ends each with a
        // newline, but only the object boundaries matter).
        for (;;) {
            size_t start = m_buffer.find_first_not_of(" \t\r\n");
            if (start == std::string::npos) {
                m_buffer.clear();
                return {};
            }
            size_t end = object_end(start);
            if (end == std::string::npos) {
                if (m_buffer.size() > 16 * 1024 * 1024)
                    return Error::from_string("a progress message of over 16 MiB", EPROTO);
                m_buffer.erase(0, start);
                return {};
            }
            auto message = parse_json(std::string_view(m_buffer).substr(start, end - start));
            m_buffer.erase(0, end);
            if (message.is_error())
                return message.release_error();
            TRY(display(*message));
        }
    }

private:
    // One past the end of the JSON object starting at `start`, or npos.
    size_t object_end(size_t start) const
    {
        int depth = 0;
        bool in_string = false;
        for (size_t i = start; i < m_buffer.size(); ++i) {
            char c = m_buffer[i];
            if (in_string) {
                if (c == '\\')
                    ++i;
                else if (c == '"')
                    in_string = false;
                continue;
            }
            if (c == '"')
                in_string = true;
            else if (c == '{' || c == '[')
                ++depth;
            else if (c == '}' || c == ']') {
                if (--depth == 0)
                    return i + 1;
            }
        }
        return std::string::npos;
    }

    void put(std::string_view text)
    {
        if (m_fd >= 0)
            (void)sys::write_all(m_fd, text); // as in the docker CLI, output errors are ignored
    }

    std::string progress_text(const Json& progress) const
    {
        int64_t current = progress.value("current", static_cast<int64_t>(0));
        int64_t total = progress.value("total", static_cast<int64_t>(0));
        std::string units = progress.value("units", "");
        if (current <= 0 && total <= 0)
            return "";
        char buffer[128];
        if (total <= 0) {
            if (units.empty()) {
                std::snprintf(buffer, sizeof buffer, "%8s", human_size(static_cast<double>(current)).c_str());
                return buffer;
            }
            return std::to_string(current) + " " + units;
        }
        int percentage = static_cast<int>(static_cast<double>(current) / static_cast<double>(total) * 100) / 2;
        if (percentage > 50)
            percentage = 50;
        std::string bar;
        auto size = terminal_size(m_fd);
        if (size && size->second > 110)
            bar = "[" + std::string(static_cast<size_t>(percentage), '=') + ">"
                + std::string(static_cast<size_t>(50 - percentage), ' ') + "] ";
        std::string numbers;
        if (units.empty()) {
            std::snprintf(buffer, sizeof buffer, "%8s/%s", human_size(static_cast<double>(current)).c_str(),
                human_size(static_cast<double>(total)).c_str());
            numbers = buffer;
            if (current > total) {
                std::snprintf(buffer, sizeof buffer, "%8s", human_size(static_cast<double>(current)).c_str());
                numbers = buffer;
            }
        } else {
            numbers = std::to_string(current) + "/" + std::to_string(total) + " " + units;
        }
        return bar + numbers;
    }

    ErrorOr<void> display(const Json& message)
    {
        if (message.contains("errorDetail") || message.contains("error")) {
            std::string text = message.value("error", "");
            if (message.contains("errorDetail") && message["errorDetail"].is_object()) {
                if (message["errorDetail"].value("code", 0) == 401)
                    return Error::from_string("authentication is required");
                text = message["errorDetail"].value("message", text);
            }
            return Error::from_string(text, EIO);
        }
        if (message.contains("aux"))
            return {};
        std::string id = message.value("id", "");
        bool has_progress = message.contains("progressDetail") && message["progressDetail"].is_object()
            && !message["progressDetail"].empty();
        std::string progress = has_progress ? progress_text(message["progressDetail"]) : "";
        std::string progress_message = message.value("progress", "");
        size_t diff = 0;
        if (!id.empty() && (has_progress || !progress_message.empty())) {
            auto it = m_lines.find(id);
            size_t line;
            if (it == m_lines.end()) {
                line = m_lines.size();
                m_lines[id] = line;
                if (m_terminal)
                    put("\n");
            } else {
                line = it->second;
            }
            diff = m_lines.size() - line;
            if (m_terminal && diff > 0)
                put("\x1b[" + std::to_string(diff) + "A");
        } else {
            m_lines.clear();
        }
        std::string stream = message.value("stream", "");
        std::string endl;
        if (m_terminal && stream.empty() && has_progress) {
            put("\x1b[2K\r");
            endl = "\r";
        } else if (has_progress && !progress.empty()) {
            return {}; // no progress bars off a terminal
        }
        std::string line;
        if (!id.empty())
            line += id + ": ";
        std::string from = message.value("from", "");
        if (!from.empty())
            line += "(from " + from + ") ";
        std::string status = message.value("status", "");
        if (has_progress && m_terminal)
            line += status + " " + progress + endl;
        else if (!progress_message.empty())
            line += status + " " + progress_message + endl;
        else if (!stream.empty())
            line += stream + endl;
        else
            line += status + endl + "\n";
        put(line);
        if (!id.empty() && m_terminal && diff > 0)
            put("\x1b[" + std::to_string(diff) + "B");
        return {};
    }

    const Cli& m_cli;
    int m_fd;
    bool m_terminal;
    std::string m_buffer;
    std::map<std::string, size_t> m_lines;
};

std::pair<std::string, std::string> split_tag(const std::string& reference)
{
    std::string name = reference, tag;
    auto at = name.find('@');
    if (at != std::string::npos)
        return { name.substr(0, at), name.substr(at + 1) };
    auto slash = name.rfind('/');
    auto colon = name.rfind(':');
    if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
        tag = name.substr(colon + 1);
        name = name.substr(0, colon);
    }
    return { name, tag };
}

} // namespace

ErrorOr<void> pull_image(Cli& cli, const std::string& image, int out_fd, bool quiet)
{
    auto reference = TRY(image::Reference::parse(image));
    auto [name, tag] = split_tag(image);
    if (tag.empty())
        tag = "latest";
    // Quiet still reads the messages: an error among them fails the pull.
    JsonMessageDisplay display(cli, quiet ? -1 : out_fd);
    api::Query query { { "fromImage", reference.familiar_name() }, { "tag", tag } };
    TRY(cli.client.stream(
        "POST", "/images/create", query, {}, [&](std::string_view chunk) { return display.feed(chunk); }));
    return {};
}

int images_main(Cli& cli, const Args& args)
{
    bool quiet = false, all = false, no_trunc = false, digests = false;
    std::string format;
    std::vector<std::string> filters;
    FlagSet flags("images [OPTIONS] [REPOSITORY[:TAG]]", "List images");
    flags.add_bool("quiet", 'q', &quiet, "Only show image IDs");
    flags.add_bool("all", 'a', &all, "Show all images (default hides intermediate images)");
    flags.add_bool("no-trunc", 0, &no_trunc, "Don't truncate output");
    flags.add_bool("digests", 0, &digests, "Show digests");
    flags.add_string("format", 0, &format, "Pretty-print images using a Go template");
    add_filter_flag(flags, &filters);
    Args positional;
    if (auto code = parse_verb(cli, flags, "images", args, ArgCount::AtMost, 1, positional))
        return *code;
    if (!positional.empty())
        filters.push_back("reference=" + positional[0]);
    auto filter_json = filters_json(filters);
    if (filter_json.is_error())
        return fail(cli, filter_json.error().message());
    api::Query query;
    if (all)
        query.emplace_back("all", "1");
    if (!filters.empty())
        query.emplace_back("filters", *filter_json);
    auto response = cli.client.request("GET", "/images/json", query);
    if (response.is_error())
        return fail(cli, error_text(cli, response.error()));
    auto list = parse_json(response->body);
    if (list.is_error() || !list->is_array())
        return fail(cli, "Error: unexpected image list from the daemon");
    if (format.empty())
        format = "table";
    std::string final_format = image_format(format, quiet, digests);
    bool need_digest = digests || final_format.find("{{.Digest}}") != std::string::npos;
    int64_t now = now_nanoseconds();
    std::vector<TemplateData> rows;
    for (auto const& image : *list) {
        for (auto& row : image_rows(image, !no_trunc, digests, need_digest, now))
            rows.push_back(std::move(row));
    }
    auto text = format_list(final_format, rows, image_header());
    if (text.is_error())
        return fail(cli, text.error().message());
    write_out(cli, *text);
    return 0;
}

int rmi_main(Cli& cli, const Args& args)
{
    bool force = false, no_prune = false;
    FlagSet flags("rmi [OPTIONS] IMAGE [IMAGE...]", "Remove one or more images");
    flags.add_bool("force", 'f', &force, "Force removal of the image");
    flags.add_bool("no-prune", 0, &no_prune, "Do not delete untagged parents");
    Args images;
    if (auto code = parse_verb(cli, flags, "rmi", args, ArgCount::AtLeast, 1, images))
        return *code;
    api::Query query;
    if (force)
        query.emplace_back("force", "1");
    if (no_prune)
        query.emplace_back("noprune", "1");
    std::string errors;
    bool fatal = false;
    for (auto const& image : images) {
        auto response = cli.client.request("DELETE", "/images/" + image, query);
        if (response.is_error()) {
            if (cli.client.last_status() != 404)
                fatal = true;
            errors += (errors.empty() ? "" : "\n") + object_error_text(cli, response.error(), "image", image);
            continue;
        }
        auto deleted = parse_json(response->body);
        if (deleted.is_error() || !deleted->is_array())
            continue;
        for (auto const& item : *deleted) {
            std::string removed = item.value("Deleted", "");
            if (!removed.empty())
                write_out(cli, "Deleted: " + removed + "\n");
            else
                write_out(cli, "Untagged: " + item.value("Untagged", "") + "\n");
        }
    }
    if (!errors.empty()) {
        if (!force || fatal)
            return fail(cli, errors, 1);
        write_err(cli, errors + "\n");
    }
    return 0;
}

int pull_main(Cli& cli, const Args& args)
{
    bool all_tags = false, quiet = false, trust = false;
    std::string platform;
    FlagSet flags("pull [OPTIONS] NAME[:TAG|@DIGEST]", "Pull an image or a repository from a registry");
    flags.add_bool("all-tags", 'a', &all_tags, "Download all tagged images in the repository");
    flags.add_bool("quiet", 'q', &quiet, "Suppress verbose output");
    flags.add_string("platform", 0, &platform, "Set platform if server is multi-platform capable");
    flags.add_bool("disable-content-trust", 0, &trust, "Skip image verification");
    Args names;
    if (auto code = parse_verb(cli, flags, "pull", args, ArgCount::Exactly, 1, names))
        return *code;
    auto reference = image::Reference::parse(names[0]);
    if (reference.is_error())
        return fail(cli, reference.error().message(), 1);
    if (all_tags)
        return fail(cli, "--all-tags is not supported by system-docker", 1);
    auto [name, tag] = split_tag(names[0]);
    if (tag.empty() && !quiet)
        write_out(cli, "Using default tag: latest\n");
    auto pulled = pull_image(cli, names[0], cli.out, quiet);
    if (pulled.is_error())
        return fail(cli, error_text(cli, pulled.error()), 1);
    write_out(cli, reference->str() + "\n");
    return 0;
}

int load_main(Cli& cli, const Args& args)
{
    std::string input;
    bool quiet = false;
    FlagSet flags("load [OPTIONS]", "Load an image from a tar archive or STDIN");
    flags.add_string("input", 'i', &input, "Read from tar archive file, instead of STDIN");
    flags.add_bool("quiet", 'q', &quiet, "Suppress the load output");
    Args positional;
    if (auto code = parse_verb(cli, flags, "load", args, ArgCount::None, 0, positional))
        return *code;
    Fd file;
    int fd = cli.in;
    if (!input.empty()) {
        auto opened = sys::open(input, O_RDONLY);
        if (opened.is_error()) {
            // Go's words for the errno: lower case.
            std::string reason = std::strerror(opened.error().code());
            if (!reason.empty())
                reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
            return fail(cli, "open " + input + ": " + reason, 1);
        }
        file = opened.release_value();
        fd = file.get();
    } else if (::isatty(cli.in)) {
        return fail(cli, "requested load from stdin, but stdin is empty", 1);
    }
    if (!::isatty(cli.out))
        quiet = true;
    api::Query query;
    if (quiet)
        query.emplace_back("quiet", "1");
    JsonMessageDisplay display(cli, cli.out);
    std::string raw;
    bool json = true;
    auto response
        = cli.client.upload("POST", "/images/load", query, fd, "application/x-tar", [&](std::string_view chunk) {
              if (!json) {
                  write_out(cli, chunk);
                  return ErrorOr<void> {};
              }
              return display.feed(chunk);
          });
    if (response.is_error())
        return fail(cli, error_text(cli, response.error()), 1);
    return 0;
}

int save_main(Cli& cli, const Args& args)
{
    std::string output;
    FlagSet flags(
        "save [OPTIONS] IMAGE [IMAGE...]", "Save one or more images to a tar archive (streamed to STDOUT by default)");
    flags.add_string("output", 'o', &output, "Write to a file, instead of STDOUT");
    Args images;
    if (auto code = parse_verb(cli, flags, "save", args, ArgCount::AtLeast, 1, images))
        return *code;
    if (output.empty() && ::isatty(cli.out))
        return fail(cli, "cowardly refusing to save to a terminal. Use the -o flag or redirect", 1);
    int fd = cli.out;
    Fd file;
    std::string temporary;
    if (!output.empty()) {
        // Written beside the target and renamed at the end, as docker's
        // CopyToFile does, so that a failed save leaves no partial archive.
        std::string directory = output.find('/') == std::string::npos ? "." : output.substr(0, output.rfind('/'));
        if (directory.empty())
            directory = "/";
        struct stat st { };
        if (::stat(directory.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
            return fail(cli,
                "failed to save image: invalid output path: directory " + go_quote(directory) + " does not exist", 1);
        temporary = output + ".tmp-" + random_suffix();
        auto opened = sys::open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (opened.is_error())
            return fail(cli, opened.error().message(), 1);
        file = opened.release_value();
        fd = file.get();
    }
    api::Query query;
    for (auto const& image : images)
        query.emplace_back("names", image);
    auto response = cli.client.stream("GET", "/images/get", query, {},
        [&](std::string_view chunk) -> ErrorOr<void> { return sys::write_all(fd, chunk); });
    if (response.is_error()) {
        if (!temporary.empty())
            (void)::unlink(temporary.c_str()); // a partial archive is worthless
        return fail(cli, error_text(cli, response.error()), 1);
    }
    if (!temporary.empty()) {
        file.reset();
        if (::rename(temporary.c_str(), output.c_str()) != 0) {
            std::string message = std::strerror(errno);
            (void)::unlink(temporary.c_str()); // nothing else to do with it
            return fail(cli, "rename " + temporary + " " + output + ": " + message, 1);
        }
    }
    return 0;
}

int tag_main(Cli& cli, const Args& args)
{
    FlagSet flags("tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
        Interspersed::No);
    Args names;
    if (auto code = parse_verb(cli, flags, "tag", args, ArgCount::Exactly, 2, names))
        return *code;
    auto target = image::Reference::parse(names[1]);
    if (target.is_error())
        return fail(cli,
            "Error parsing reference: " + go_quote(names[1])
                + " is not a valid repository/tag: invalid reference format",
            1);
    if (target->digest)
        return fail(cli, "refusing to create a tag with a digest reference", 1);
    auto [name, tag] = split_tag(names[1]);
    api::Query query { { "repo", target->familiar_name() } };
    query.emplace_back("tag", tag.empty() ? std::string("latest") : tag);
    auto response = cli.client.request("POST", "/images/" + names[0] + "/tag", query);
    if (response.is_error())
        return fail(cli, error_text(cli, response.error()), 1);
    return 0;
}

} // namespace corral::cli
