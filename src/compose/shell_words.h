#pragma once

// Splitting a command written as one string into words. Compose does not run
// `command: rsyslogd -n` through a shell: it splits the string the way a
// POSIX shell splits words (libcompose with a shlex library, docker-compose
// with Python's shlex) and execs the words, so that quoting works as users
// expect while `$`, `;` or `|` mean nothing special.

#include "base/error.h"

#include <string>
#include <string_view>
#include <vector>

namespace corral::compose {

// Splits `text` into words at unquoted blanks (space, tab, newline, carriage
// return), with the shell's quoting and nothing else:
//   - '...' keeps everything up to the next ' literally;
//   - "..." keeps everything, except that \ escapes \, ", $, ` and removes a
//     following newline; before any other character the \ is kept;
//   - outside quotes, \ makes the next character literal (\ and a newline
//     vanish together);
//   - quoted parts join the unquoted text around them into one word, and ''
//     or "" alone make an empty word.
// Errors (EINVAL) quote the text and give the offset of the opening quote, or
// of the backslash:
//   unterminated single quote in "echo 'hi" at offset 5
//   unterminated double quote in ...
//   trailing backslash in "echo \\" at offset 5
ErrorOr<std::vector<std::string>> split_shell_words(std::string_view text);

} // namespace corral::compose
