#include "image/registry_auth.h"

#include "base/strings.h"

#include "base/base64.h"

#include <cctype>
#include <nlohmann/json.hpp>
#include <thread>

namespace corral::image::registry {

namespace {

bool is_tchar(char c)
{
    return std::isalnum(static_cast<unsigned char>(c))
        || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

// A cursor over a WWW-Authenticate value.
class Scanner {
public:
    explicit Scanner(std::string_view text)
        : m_text(text)
    {
    }
    bool at_end() const { return m_pos >= m_text.size(); }
    char peek() const { return at_end() ? '\0' : m_text[m_pos]; }
    size_t pos() const { return m_pos; }
    void seek(size_t pos) { m_pos = pos; }
    void skip_spaces()
    {
        while (!at_end() && is_space(peek()))
            ++m_pos;
    }
    void skip_spaces_and_commas()
    {
        while (!at_end() && (is_space(peek()) || peek() == ','))
            ++m_pos;
    }
    std::string_view token68()
    {
        size_t start = m_pos;
        while (!at_end()
            && (std::isalnum(static_cast<unsigned char>(peek()))
                || std::string_view("-._~+/").find(peek()) != std::string_view::npos))
            ++m_pos;
        return m_text.substr(start, m_pos - start);
    }
    std::string_view token()
    {
        size_t start = m_pos;
        while (!at_end() && is_tchar(peek()))
            ++m_pos;
        return m_text.substr(start, m_pos - start);
    }
    // After the opening quote: up to the closing one, with \x escapes undone.
    ErrorOr<std::string> quoted()
    {
        std::string out;
        ++m_pos;
        while (!at_end()) {
            char c = m_text[m_pos++];
            if (c == '"')
                return out;
            if (c == '\\') {
                if (at_end())
                    break;
                c = m_text[m_pos++];
            }
            out += c;
        }
        return error("unterminated quoted string");
    }
    Error error(const std::string& what) const
    {
        return Error::from_string(
            "WWW-Authenticate \"" + std::string(m_text) + "\": " + what + " at offset " + std::to_string(m_pos));
    }

private:
    std::string_view m_text;
    size_t m_pos { 0 };
};

} // namespace

ErrorOr<std::vector<Challenge>> parse_www_authenticate(std::string_view value)
{
    Scanner s(value);
    std::vector<Challenge> challenges;
    for (;;) {
        s.skip_spaces_and_commas();
        if (s.at_end())
            break;
        std::string_view scheme = s.token();
        if (scheme.empty())
            return s.error("expected an authentication scheme");
        Challenge challenge;
        challenge.scheme = to_lower(scheme);
        if (!s.at_end() && !is_space(s.peek()) && s.peek() != ',')
            return s.error("unexpected character after the scheme");

        // A token68 ("Negotiate abc==") stands alone after its scheme.
        s.skip_spaces();
        size_t start = s.pos();
        size_t length = s.token68().size();
        while (length > 0 && s.peek() == '=')
            s.seek(s.pos() + 1);
        std::string_view token68 = value.substr(start, s.pos() - start);
        s.skip_spaces();
        if (length > 0 && (s.at_end() || s.peek() == ',')) {
            challenge.params[""] = std::string(token68);
            challenges.push_back(std::move(challenge));
            continue;
        }
        s.seek(start);

        // Parameters until the next scheme (a token not followed by '=') or the end.
        for (;;) {
            s.skip_spaces_and_commas();
            if (s.at_end())
                break;
            size_t name_start = s.pos();
            std::string_view name = s.token();
            if (name.empty())
                return s.error("expected a parameter");
            s.skip_spaces();
            if (s.peek() != '=') {
                s.seek(name_start); // the next challenge
                break;
            }
            s.seek(s.pos() + 1);
            s.skip_spaces();
            std::string param_value;
            if (s.peek() == '"') {
                param_value = TRY(s.quoted());
            } else {
                param_value = std::string(s.token());
                if (param_value.empty())
                    return s.error("expected a value for \"" + std::string(name) + "\"");
            }
            challenge.params[to_lower(name)] = std::move(param_value);
            s.skip_spaces();
            if (!s.at_end() && s.peek() != ',')
                return s.error("expected ',' after \"" + std::string(name) + "\"");
        }
        challenges.push_back(std::move(challenge));
    }
    if (challenges.empty())
        return s.error("no challenge");
    return challenges;
}

ErrorOr<Token> parse_token_response(std::string_view text)
{
    auto doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        return Error::from_string("token response: not a JSON object");
    Token token;
    for (const char* field : { "token", "access_token" }) {
        auto it = doc.find(field);
        if (it != doc.end() && it->is_string() && !it->get<std::string>().empty()) {
            token.token = it->get<std::string>();
            break;
        }
    }
    if (token.token.empty())
        return Error::from_string("token response: neither \"token\" nor \"access_token\"");
    // The token goes into a header: refuse what would split it.
    if (token.token.find_first_of("\r\n") != std::string::npos)
        return Error::from_string("token response: the token contains a line break");
    if (auto it = doc.find("expires_in"); it != doc.end() && it->is_number_integer() && it->get<int64_t>() > 0)
        token.expires_in = std::chrono::seconds(std::min<int64_t>(it->get<int64_t>(), 365 * 24 * 3600));
    return token;
}

ErrorOr<std::string> basic_authorization(const RegistryCredentials& credentials)
{
    if (!credentials.username.empty())
        return "Basic " + base64_encode(credentials.username + ":" + credentials.password);
    if (credentials.auth.empty())
        return Error::from_string("no username and password configured", ENOENT);
    std::string decoded = TRY_CONTEXT(base64_decode(credentials.auth), "registry auth");
    if (decoded.find(':') == std::string::npos)
        return Error::from_string("registry auth: not base64 of \"user:password\"");
    return "Basic " + base64_encode(decoded);
}

std::string token_request_url(std::string_view realm, std::string_view service, std::string_view scope)
{
    std::string url(realm);
    char separator = url.find('?') == std::string::npos ? '?' : '&';
    auto add = [&](std::string_view name, std::string_view value) {
        if (value.empty())
            return;
        url += separator;
        url += name;
        url += '=';
        url += percent_encode(value);
        separator = '&';
    };
    add("service", service);
    add("scope", scope);
    return url;
}

Authenticator::Authenticator(std::string domain, std::string scope, const RegistryOptions& options)
    : m_domain(std::move(domain))
    , m_scope(std::move(scope))
    , m_options(options)
{
}

Authenticator::State& Authenticator::state_for(const Endpoint& endpoint) const
{
    std::lock_guard lock(m_mutex);
    auto& state = m_states[endpoint.url];
    if (!state)
        state = std::make_unique<State>();
    return *state;
}

const RegistryCredentials* Authenticator::credentials_for(const Endpoint& endpoint) const
{
    // A mirror gets only the credentials configured for the mirror itself: the
    // origin's password is not the mirror's business.
    return find_credentials(m_options.credentials, endpoint.mirror ? endpoint.host : m_domain);
}

std::string Authenticator::authorization(const Endpoint& endpoint) const
{
    State& state = state_for(endpoint);
    std::lock_guard lock(state.mutex);
    return state.authorization;
}

ErrorOr<std::string> Authenticator::respond(HttpClient& http, const Endpoint& endpoint,
    const std::vector<std::string>& challenge_values, const std::string& rejected)
{
    State& state = state_for(endpoint);
    std::lock_guard lock(state.mutex);
    if (!state.authorization.empty() && state.authorization != rejected)
        return state.authorization;

    std::optional<Challenge> bearer, basic;
    std::string offered;
    for (auto const& value : challenge_values) {
        auto parsed = parse_www_authenticate(value);
        if (parsed.is_error())
            continue; // another header may still be usable
        for (auto& challenge : parsed.value()) {
            offered += (offered.empty() ? "" : ", ") + challenge.scheme;
            if (challenge.scheme == "bearer" && !bearer)
                bearer = challenge;
            else if (challenge.scheme == "basic" && !basic)
                basic = challenge;
        }
    }
    std::string header;
    if (bearer) {
        header = TRY(fetch_token(http, endpoint, *bearer));
    } else if (basic) {
        const RegistryCredentials* credentials = credentials_for(endpoint);
        if (!credentials)
            return Error::from_string(
                "the registry asks for a password and none is configured for " + endpoint.host, EACCES);
        header = TRY(basic_authorization(*credentials));
        if (header == rejected)
            return Error::from_string("the registry refused the credentials configured for " + endpoint.host, EACCES);
    } else {
        return Error::from_string(
            "no supported authentication challenge (offered: " + (offered.empty() ? "none" : offered) + ")", EACCES);
    }
    state.authorization = header;
    return header;
}

ErrorOr<std::string> Authenticator::fetch_token(HttpClient& http, const Endpoint& endpoint, const Challenge& challenge)
{
    auto realm_it = challenge.params.find("realm");
    if (realm_it == challenge.params.end() || realm_it->second.empty())
        return Error::from_string("Bearer challenge without a realm", EACCES);
    std::string realm = realm_it->second;
    Url realm_url = TRY_CONTEXT(parse_url(realm), "Bearer challenge");
    std::string realm_host = realm_url.origin().substr(realm_url.scheme.size() + 3);
    auto service_it = challenge.params.find("service");
    std::string service = service_it == challenge.params.end() ? "" : service_it->second;

    HttpRequest request;
    request.verify_tls = !m_options.insecure.contains(realm_host);
    const RegistryCredentials* credentials = credentials_for(endpoint);
    if (credentials && !credentials->identitytoken.empty()) {
        // An identity token is an OAuth2 refresh token (what `docker login` keeps).
        request.method = "POST";
        request.url = realm;
        request.body = "grant_type=refresh_token&refresh_token=" + percent_encode(credentials->identitytoken)
            + "&service=" + percent_encode(service) + "&scope=" + percent_encode(m_scope) + "&client_id=corral";
    } else {
        request.url = token_request_url(realm, service, m_scope);
        if (credentials) {
            auto basic = basic_authorization(*credentials);
            if (basic.is_error() && basic.error().code() != ENOENT)
                return basic.release_error();
            if (!basic.is_error())
                request.authorization = basic.release_value();
        }
    }
    std::string what = "token server " + realm;
    for (int attempt = 0;; ++attempt) {
        auto response = http.perform(request);
        if (response.is_error()) {
            if (is_transient_error(response.error().code()) && attempt < m_options.retries) {
                std::this_thread::sleep_for(backoff_delay(attempt, "", m_options.timeout));
                continue;
            }
            return std::move(response.release_error().context(what));
        }
        if (is_transient_status(response->status) && attempt < m_options.retries) {
            std::this_thread::sleep_for(backoff_delay(attempt, response->header("retry-after"), m_options.timeout));
            continue;
        }
        if (response->status != 200) {
            int code = response->status == 401 || response->status == 403 ? EACCES : errno_for_status(response->status);
            return Error::from_string(what + ": " + describe_status(response->status, response->body), code);
        }
        Token token = TRY_CONTEXT(parse_token_response(response->body), what);
        return "Bearer " + token.token;
    }
}

} // namespace corral::image::registry
