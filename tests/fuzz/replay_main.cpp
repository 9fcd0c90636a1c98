// Replays a fuzzer's corpus without libFuzzer, so that the normal (g++) build runs
// every seed and every past crash input through the target as a regression test.

#include <cstdint>
#include <cstdio>
#include <dirent.h>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/stat.h>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv)
{
    size_t count = 0;
    for (int i = 1; i < argc; ++i) {
        std::vector<std::string> files;
        struct stat st { };
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            if (DIR* dir = opendir(argv[i])) {
                while (dirent* entry = readdir(dir)) {
                    if (entry->d_name[0] != '.')
                        files.push_back(std::string(argv[i]) + "/" + entry->d_name);
                }
                closedir(dir);
            }
        } else {
            files.push_back(argv[i]);
        }
        for (auto const& file : files) {
            std::ifstream in(file, std::ios::binary);
            std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()), data.size());
            ++count;
        }
    }
    printf("replayed %zu inputs\n", count);
    return count > 0 ? 0 : 1;
}
