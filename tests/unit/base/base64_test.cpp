#include "base/base64.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <utility>
#include <vector>

using corral::base64_decode;
using corral::base64_encode;

namespace {

// RFC 4648 §10.
const std::vector<std::pair<std::string, std::string>> RFC_VECTORS = {
    { "", "" },
    { "f", "Zg==" },
    { "fo", "Zm8=" },
    { "foo", "Zm9v" },
    { "foob", "Zm9vYg==" },
    { "fooba", "Zm9vYmE=" },
    { "foobar", "Zm9vYmFy" },
};

std::string decoded(std::string_view text)
{
    auto result = base64_decode(text);
    EXPECT_FALSE(result.is_error()) << '"' << text << "\": " << result.error().message();
    return result.is_error() ? "<error>" : result.value();
}

// The message of the EINVAL error that decoding `text` must fail with.
std::string decode_error(std::string_view text)
{
    auto result = base64_decode(text);
    EXPECT_TRUE(result.is_error()) << '"' << text << "\" decoded";
    if (!result.is_error())
        return "<decoded>";
    EXPECT_EQ(result.error().code(), EINVAL) << '"' << text << '"';
    return result.error().message();
}

std::string all_bytes()
{
    std::string bytes(256, '\0');
    for (int i = 0; i < 256; ++i)
        bytes[i] = static_cast<char>(i);
    return bytes;
}

} // namespace

TEST(Base64, EncodesRfcVectors)
{
    for (auto const& [plain, encoded] : RFC_VECTORS)
        EXPECT_EQ(base64_encode(plain), encoded) << plain;
}

TEST(Base64, DecodesRfcVectors)
{
    for (auto const& [plain, encoded] : RFC_VECTORS)
        EXPECT_EQ(decoded(encoded), plain) << encoded;
}

TEST(Base64, EncodesHighBytesAndFullAlphabet)
{
    EXPECT_EQ(base64_encode(std::string("\xff\xff\xff", 3)), "////");
    EXPECT_EQ(base64_encode(std::string("\xfb\xef\xbe", 3)), "++++");
    EXPECT_EQ(base64_encode(std::string("\0\0\0", 3)), "AAAA");
    EXPECT_EQ(base64_encode(std::string("\xff", 1)), "/w==");
    EXPECT_EQ(base64_encode(std::string("\xff\xfe", 2)), "//4=");
}

TEST(Base64, DecodingSkipsWhitespaceAndNewlines)
{
    EXPECT_EQ(decoded("Zm9v\nYmFy"), "foobar");
    EXPECT_EQ(decoded("Zm9v\r\nYmFy\r\n"), "foobar");
    EXPECT_EQ(decoded("  Zm 9v\tYm E=  \n"), "fooba");
    EXPECT_EQ(decoded("Zg=\n="), "f");
    EXPECT_EQ(decoded(" \n\t\r"), "");
}

TEST(Base64, InvalidCharactersAreEINVAL)
{
    EXPECT_EQ(decode_error("Zm9v!mFy"), "invalid base64 at offset 4");
    // The URL-safe alphabet (RFC 4648 §5) is not accepted.
    EXPECT_EQ(decode_error("Zm9-"), "invalid base64 at offset 3");
    EXPECT_EQ(decode_error("Zm9_"), "invalid base64 at offset 3");
    EXPECT_EQ(decode_error(std::string("Zm\0v", 4)), "invalid base64 at offset 2");
    EXPECT_EQ(decode_error("Zm9\xff"), "invalid base64 at offset 3");
    EXPECT_EQ(decode_error("Zm9v.Zm9v"), "invalid base64 at offset 4");
}

TEST(Base64, DataAfterPaddingIsEINVAL)
{
    EXPECT_EQ(decode_error("Zg==Zg=="), "invalid base64 at offset 4");
    EXPECT_EQ(decode_error("Zm=v"), "invalid base64 at offset 3");
    EXPECT_EQ(decode_error("=Zm9"), "invalid base64 at offset 1");
}

TEST(Base64, BadLengthIsEINVAL)
{
    const std::string message = "invalid base64: length is not a multiple of 4";
    EXPECT_EQ(decode_error("Z"), message);
    EXPECT_EQ(decode_error("Zm"), message);
    EXPECT_EQ(decode_error("Zm9"), message);
    EXPECT_EQ(decode_error("Zm9vY"), message);
    EXPECT_EQ(decode_error("Zg="), message);
    EXPECT_EQ(decode_error("Zm9vYg="), message);
    EXPECT_EQ(decode_error("Zm9v\n\nY"), message);
}

TEST(Base64, TooMuchPaddingIsEINVAL)
{
    EXPECT_EQ(decode_error("Z==="), "invalid base64: length is not a multiple of 4");
    EXPECT_EQ(decode_error("===="), "invalid base64: length is not a multiple of 4");
    EXPECT_EQ(decode_error("Zm9v===="), "invalid base64: length is not a multiple of 4");
}

TEST(Base64, AllByteValuesRoundTrip)
{
    std::string bytes = all_bytes();
    std::string encoded = base64_encode(bytes);
    EXPECT_EQ(encoded.size(), 344u); // ceil(256 / 3) * 4
    EXPECT_EQ(encoded.substr(0, 8), "AAECAwQF");
    EXPECT_EQ(encoded.substr(encoded.size() - 8), "/P3+/w==");
    EXPECT_EQ(decoded(encoded), bytes);

    // Every length, so that each padding case meets every byte value.
    for (size_t length = 0; length <= bytes.size(); ++length) {
        std::string part = bytes.substr(bytes.size() - length);
        std::string text = base64_encode(part);
        EXPECT_EQ(text.size() % 4, 0u) << length;
        EXPECT_EQ(decoded(text), part) << length;
    }
}

TEST(Base64, RoundTripsWrappedText)
{
    std::string bytes = all_bytes();
    std::string encoded = base64_encode(bytes);
    std::string wrapped;
    for (size_t i = 0; i < encoded.size(); i += 76)
        wrapped += encoded.substr(i, 76) + "\n";
    EXPECT_EQ(decoded(wrapped), bytes);
}
