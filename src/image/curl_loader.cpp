// libcurl, loaded the first time it is used rather than when the program
// starts. system-dockerd runs for the life of the machine and pulls images
// rarely; linking libcurl would map it and the 30-odd libraries it needs
// (TLS, Kerberos, LDAP, SSH, IDN) into every daemon and every `ros` call, a
// few MiB of resident memory that nothing uses until a pull.
//
// The functions the code calls are defined here with libcurl's own
// signatures and forward to the library opened with dlopen. Callers include
// <curl/curl.h> and use curl as usual. When libcurl cannot be loaded, the
// calls fail the way libcurl reports failures (CURLE_FAILED_INIT, a null
// handle), and the error names the library.

// The definitions below would be taken for uses of curl.h's type-checking
// macros of the same names.
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

#include <cstdarg>
#include <dlfcn.h>
#include <mutex>

namespace {

struct Library {
    CURLcode (*global_init)(long);
    CURL* (*easy_init)();
    CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
    CURLcode (*easy_perform)(CURL*);
    CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
    void (*easy_cleanup)(CURL*);
    void (*easy_reset)(CURL*);
    const char* (*easy_strerror)(CURLcode);
    curl_slist* (*slist_append)(curl_slist*, const char*);
    void (*slist_free_all)(curl_slist*);
};

const Library* library()
{
    static Library loaded {};
    static bool ok = false;
    static std::once_flag once;
    std::call_once(once, [] {
        void* handle = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
        if (!handle)
            return;
        auto find = [handle](auto& slot, const char* name) {
            slot = reinterpret_cast<std::remove_reference_t<decltype(slot)>>(::dlsym(handle, name));
            return slot != nullptr;
        };
        ok = find(loaded.global_init, "curl_global_init") && find(loaded.easy_init, "curl_easy_init")
            && find(loaded.easy_setopt, "curl_easy_setopt") && find(loaded.easy_perform, "curl_easy_perform")
            && find(loaded.easy_getinfo, "curl_easy_getinfo") && find(loaded.easy_cleanup, "curl_easy_cleanup")
            && find(loaded.easy_reset, "curl_easy_reset") && find(loaded.easy_strerror, "curl_easy_strerror")
            && find(loaded.slist_append, "curl_slist_append") && find(loaded.slist_free_all, "curl_slist_free_all");
    });
    return ok ? &loaded : nullptr;
}

} // namespace

// va_start after an enum parameter, as libcurl's own definitions of these
// functions do; clang warns that an enum may be promoted, which CURLoption
// and CURLINFO (int-sized) are not.
#ifdef __clang__
#    pragma clang diagnostic ignored "-Wvarargs"
#endif

extern "C" {

CURLcode curl_global_init(long flags)
{
    auto const* curl = library();
    return curl ? curl->global_init(flags) : CURLE_FAILED_INIT;
}

CURL* curl_easy_init()
{
    auto const* curl = library();
    return curl ? curl->easy_init() : nullptr;
}

// The option's number says the type of its argument (curl.h's CURLOPTTYPE_
// ranges), which is how libcurl itself reads it.
CURLcode curl_easy_setopt(CURL* handle, CURLoption option, ...)
{
    auto const* curl = library();
    if (!curl)
        return CURLE_FAILED_INIT;
    va_list args;
    va_start(args, option);
    CURLcode result;
    if (option < CURLOPTTYPE_OBJECTPOINT) {
        long value = va_arg(args, long);
        result = curl->easy_setopt(handle, option, value);
    } else if (option < CURLOPTTYPE_FUNCTIONPOINT) {
        void* value = va_arg(args, void*);
        result = curl->easy_setopt(handle, option, value);
    } else if (option < CURLOPTTYPE_OFF_T) {
        using Function = void (*)();
        Function value = va_arg(args, Function);
        result = curl->easy_setopt(handle, option, value);
    } else if (option < CURLOPTTYPE_BLOB) {
        curl_off_t value = va_arg(args, curl_off_t);
        result = curl->easy_setopt(handle, option, value);
    } else {
        void* value = va_arg(args, void*);
        result = curl->easy_setopt(handle, option, value);
    }
    va_end(args);
    return result;
}

CURLcode curl_easy_perform(CURL* handle)
{
    auto const* curl = library();
    return curl ? curl->easy_perform(handle) : CURLE_FAILED_INIT;
}

// Every CURLINFO takes a pointer to where the answer goes.
CURLcode curl_easy_getinfo(CURL* handle, CURLINFO info, ...)
{
    auto const* curl = library();
    if (!curl)
        return CURLE_FAILED_INIT;
    va_list args;
    va_start(args, info);
    void* out = va_arg(args, void*);
    va_end(args);
    return curl->easy_getinfo(handle, info, out);
}

void curl_easy_cleanup(CURL* handle)
{
    if (auto const* curl = library())
        curl->easy_cleanup(handle);
}

void curl_easy_reset(CURL* handle)
{
    if (auto const* curl = library())
        curl->easy_reset(handle);
}

const char* curl_easy_strerror(CURLcode code)
{
    auto const* curl = library();
    return curl ? curl->easy_strerror(code) : "libcurl.so.4 could not be loaded";
}

curl_slist* curl_slist_append(curl_slist* list, const char* text)
{
    auto const* curl = library();
    return curl ? curl->slist_append(list, text) : nullptr;
}

void curl_slist_free_all(curl_slist* list)
{
    if (auto const* curl = library())
        curl->slist_free_all(list);
}

} // extern "C"
