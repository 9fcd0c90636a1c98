#pragma once

// JSON strings as Go writes them: the quoting dockerd's json-file logs and
// its API's event stream share, so that what we write reads byte for byte
// as what dockerd writes.

#include <string>
#include <string_view>

namespace corral {

enum class GoJsonTab {
    Short, // encoding/json: "\t"
    Unicode, // dockerd's json-file writer (ffjson): "\u0009"
};

// Appends `s` quoted: \" \\ \n \r short (and \t as `tab` says); every other
// control byte and the HTML-unsafe < > & as \u00XX; each byte of invalid
// UTF-8 as \ufffd; U+2028 and U+2029 escaped; everything else as is.
void append_go_json_string(std::string& out, std::string_view s, GoJsonTab tab = GoJsonTab::Short);

// Go's utf8.DecodeRune: the length of the valid UTF-8 sequence at s[i], or 0
// when the byte there does not start one (overlong forms, surrogates, code
// points past U+10FFFF and truncated sequences are all invalid).
size_t utf8_sequence_length(std::string_view s, size_t i);

} // namespace corral
