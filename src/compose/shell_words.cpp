#include "compose/shell_words.h"

#include "base/strings.h"

namespace corral::compose {

namespace {

bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

Error split_error(std::string what, std::string_view text, size_t offset)
{
    return Error::from_string(std::move(what) + " in " + go_quote(text) + " at offset " + std::to_string(offset));
}

} // namespace

ErrorOr<std::vector<std::string>> split_shell_words(std::string_view text)
{
    std::vector<std::string> words;
    std::string word;
    bool in_word = false; // distinguishes an empty quoted word from no word
    size_t i = 0;
    while (i < text.size()) {
        char c = text[i];
        if (is_blank(c)) {
            if (in_word)
                words.push_back(std::move(word));
            word.clear();
            in_word = false;
            ++i;
            continue;
        }
        if (c == '\\') {
            if (i + 1 == text.size())
                return split_error("trailing backslash", text, i);
            if (text[i + 1] != '\n') {
                word += text[i + 1];
                in_word = true;
            }
            i += 2;
            continue;
        }
        if (c == '\'') {
            size_t close = text.find('\'', i + 1);
            if (close == std::string_view::npos)
                return split_error("unterminated single quote", text, i);
            word.append(text.substr(i + 1, close - i - 1));
            in_word = true;
            i = close + 1;
            continue;
        }
        if (c == '"') {
            size_t open = i++;
            bool closed = false;
            while (i < text.size()) {
                char d = text[i];
                if (d == '"') {
                    closed = true;
                    ++i;
                    break;
                }
                if (d == '\\' && i + 1 < text.size()) {
                    char next = text[i + 1];
                    if (next == '\\' || next == '"' || next == '$' || next == '`') {
                        word += next;
                        i += 2;
                        continue;
                    }
                    if (next == '\n') {
                        i += 2;
                        continue;
                    }
                }
                word += d;
                ++i;
            }
            if (!closed)
                return split_error("unterminated double quote", text, open);
            in_word = true;
            continue;
        }
        word += c;
        in_word = true;
        ++i;
    }
    if (in_word)
        words.push_back(std::move(word));
    return words;
}

} // namespace corral::compose
