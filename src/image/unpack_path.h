#pragma once

// Internal to the layer unpacker: the pure rules for member paths, kept apart from
// the file system so that they can be tested and fuzzed in memory.

#include "base/error.h"

#include <string>
#include <string_view>

namespace corral::image::unpack_detail {

// A member path in the canonical form the unpacker uses: relative, no "." or empty
// components, no trailing slash ("./a//b/" becomes "a/b"). The layer root (".",
// "./") becomes "".
//
// Refused (EINVAL, message without the member name, which the caller adds): an
// empty path, an absolute path, a ".." component anywhere, a path longer than
// PATH_MAX or with a component longer than NAME_MAX.
ErrorOr<std::string> normalise_member_path(std::string_view raw);

// Splits a canonical path into its directory ("" at the top) and its last component.
struct SplitPath {
    std::string_view parent;
    std::string_view name;
};
SplitPath split_member_path(std::string_view path);

// A name from the archive in double quotes, for messages. Bytes that would make
// the message ambiguous or unprintable are escaped (\", \\, \xNN), and very long
// names are shortened, so that a hostile name cannot forge or flood a log line.
std::string quoted_name(std::string_view raw);
// The same without the quotes, for `call 'path'` messages.
std::string escaped_name(std::string_view raw);
// The error context for a member: `layer member "<raw>"`.
inline std::string member_context(std::string_view raw)
{
    return "layer member " + quoted_name(raw);
}

// What a file name means to overlayfs, per the OCI image spec's whiteout rules.
enum class WhiteoutKind {
    None, // an ordinary name
    Opaque, // ".wh..wh..opq": the directory hides the layers below
    Whiteout, // ".wh.NAME": NAME is deleted
    Metadata, // any other ".wh..wh.*" (aufs bookkeeping such as .wh..wh.plnk): skipped
};
WhiteoutKind whiteout_kind(std::string_view name);
// Whether a canonical path is aufs bookkeeping: some component is a Metadata name
// (".wh..wh.plnk/123" included). Docker skips these members; so does the unpacker.
bool is_aufs_metadata(std::string_view path);
inline constexpr std::string_view WHITEOUT_PREFIX = ".wh.";
inline constexpr std::string_view OPAQUE_NAME = ".wh..wh..opq";

} // namespace corral::image::unpack_detail
