#include "cloudinit/gzip.h"

#include <zlib.h>

namespace corral::cloudinit {

bool is_gzip(std::string_view data)
{
    return data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f
        && static_cast<unsigned char>(data[1]) == 0x8b;
}

ErrorOr<std::string> gunzip(std::string_view data, size_t max_size)
{
    if (!is_gzip(data))
        return Error::from_string("not gzip data (no 1f 8b magic)");
    z_stream stream {};
    // 16 + MAX_WBITS: a gzip header and trailer, not a raw zlib stream.
    if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK)
        return Error::from_string("inflateInit2 failed", ENOMEM);
    std::string out;
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    stream.avail_in = static_cast<uInt>(data.size());
    char buffer[16384];
    int status = Z_OK;
    for (;;) {
        stream.next_out = reinterpret_cast<Bytef*>(buffer);
        stream.avail_out = sizeof buffer;
        status = inflate(&stream, Z_NO_FLUSH);
        size_t produced = sizeof buffer - stream.avail_out;
        if (out.size() + produced > max_size) {
            inflateEnd(&stream);
            return Error::from_string("gzip data expands past " + std::to_string(max_size) + " bytes", EFBIG);
        }
        out.append(buffer, produced);
        if (status == Z_STREAM_END) {
            // Another member may follow (cat a.gz b.gz), as gzip -d accepts.
            if (stream.avail_in > 0
                && is_gzip(std::string_view(reinterpret_cast<char*>(stream.next_in), stream.avail_in))) {
                inflateReset(&stream);
                continue;
            }
            break;
        }
        if ((status == Z_OK || status == Z_BUF_ERROR) && stream.avail_in == 0 && produced == 0) {
            inflateEnd(&stream);
            return Error::from_string("truncated gzip data");
        }
        if (status != Z_OK) {
            std::string why = stream.msg ? stream.msg : "inflate error " + std::to_string(status);
            inflateEnd(&stream);
            return Error::from_string("corrupt gzip data: " + why);
        }
    }
    inflateEnd(&stream);
    return out;
}

} // namespace corral::cloudinit
