// Loads one image archive into a store, as `docker load` does: the thing
// bench/image_load/run.sh times against dockerd.
//   bench_image_load <store-dir> <archive>

#include "base/system.h"
#include "image/archive.h"
#include "image/store.h"

#include <cstdio>
#include <fcntl.h>

int main(int argc, char** argv)
{
    using namespace corral;
    if (argc != 3) {
        fprintf(stderr, "usage: %s <store-dir> <archive>\n", argv[0]);
        return 2;
    }
    auto store = image::Store::open(argv[1]);
    if (store.is_error()) {
        fprintf(stderr, "%s\n", store.error().message().c_str());
        return 1;
    }
    auto input = sys::open(argv[2], O_RDONLY);
    if (input.is_error()) {
        fprintf(stderr, "%s\n", input.error().message().c_str());
        return 1;
    }
    auto result = image::load_archive(*store.value(), input->get());
    if (result.is_error()) {
        fprintf(stderr, "%s\n", result.error().message().c_str());
        return 1;
    }
    for (auto const& message : result->messages)
        printf("%s\n", message.c_str());
    return 0;
}
