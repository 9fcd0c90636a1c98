// The three entry points of unpack.h. The work is split in three internal parts:
// unpack_stream (decompressing, tar parsing, digests), unpack_tree and
// unpack_member (creating members safely), unpack_path (the pure path rules).

#include "image/unpack.h"

#include "image/unpack_path.h"
#include "image/unpack_stream.h"
#include "image/unpack_tree.h"

#include <archive_entry.h>

namespace corral::image {

using unpack_detail::LayerStream;
using unpack_detail::LayerTree;

namespace {

// Where in the stream an error between members happened, for its context.
std::string position_after(const std::string& last_member)
{
    if (last_member.empty())
        return "reading the layer's first member";
    return "reading the layer after " + unpack_detail::member_context(last_member);
}

// Reads every member, handing each to `visit`, then drains the stream. `visit`
// returns whether the member counts as written.
template<typename Visit>
ErrorOr<UnpackResult> run(LayerStream& stream, Visit visit)
{
    uint64_t files = 0;
    std::string last_member;
    for (;;) {
        archive_entry* entry = TRY_CONTEXT(stream.next(), position_after(last_member));
        if (!entry)
            break;
        const char* path = archive_entry_pathname(entry);
        last_member = path ? path : "";
        if (TRY(visit(entry)))
            ++files;
    }
    UnpackResult result = TRY_CONTEXT(stream.finish(), "reading the end of the layer");
    result.files = files;
    return result;
}

// For the digest-only paths: each member's data is read (and hashed), not kept.
ErrorOr<UnpackResult> read_through(LayerStream& stream)
{
    return run(stream, [&](archive_entry* entry) -> ErrorOr<bool> {
        const char* path = archive_entry_pathname(entry);
        TRY_CONTEXT(stream.skip_data(), unpack_detail::member_context(path ? path : ""));
        return true;
    });
}

} // namespace

ErrorOr<UnpackResult> unpack_layer(int input_fd, const std::string& target, const UnpackOptions& options)
{
    LayerTree tree = TRY(LayerTree::open(target, options));
    auto stream = TRY(LayerStream::open(input_fd));
    UnpackResult result = TRY(run(*stream, [&](archive_entry* entry) { return tree.add(entry, *stream); }));
    TRY(tree.finish());
    return result;
}

ErrorOr<UnpackResult> digest_layer(int input_fd)
{
    auto stream = TRY(LayerStream::open(input_fd));
    return read_through(*stream);
}

ErrorOr<UnpackResult> decompress_layer(int input_fd, int output_fd)
{
    auto stream = TRY(LayerStream::open(input_fd, output_fd));
    return read_through(*stream);
}

} // namespace corral::image
