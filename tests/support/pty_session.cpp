#include "pty_session.h"

#include <chrono>
#include <csignal>
#include <poll.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace corral::test {

PtySession::PtySession(const std::vector<std::string>& argv, const std::vector<std::string>& env, int rows, int cols)
{
    // Everything the child needs is prepared before the fork.
    std::vector<char*> args, envp;
    for (auto const& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (auto const& e : env)
        envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    winsize size {};
    size.ws_row = static_cast<unsigned short>(rows);
    size.ws_col = static_cast<unsigned short>(cols);
    m_pid = ::forkpty(&m_master, nullptr, nullptr, &size);
    if (m_pid == 0) {
        ::execve(args[0], args.data(), envp.data());
        ::_exit(127);
    }
}

PtySession::~PtySession()
{
    if (m_pid > 0) {
        ::kill(m_pid, SIGKILL);
        ::waitpid(m_pid, nullptr, 0);
    }
    if (m_master >= 0)
        ::close(m_master);
}

bool PtySession::read_some(int timeout_ms)
{
    pollfd p { m_master, POLLIN, 0 };
    if (::poll(&p, 1, timeout_ms) <= 0)
        return true;
    char buffer[4096];
    ssize_t n = ::read(m_master, buffer, sizeof buffer);
    if (n <= 0)
        return false; // EIO: every process closed the terminal
    m_output.append(buffer, static_cast<size_t>(n));
    return true;
}

bool PtySession::read_until(const std::string& text, int timeout_ms)
{
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (m_output.find(text) == std::string::npos) {
        if (std::chrono::steady_clock::now() >= end || !read_some(50))
            return m_output.find(text) != std::string::npos;
    }
    return true;
}

void PtySession::read_for(int milliseconds)
{
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(milliseconds);
    while (std::chrono::steady_clock::now() < end && read_some(50)) { }
}

void PtySession::type(const std::string& text)
{
    size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(m_master, text.data() + done, text.size() - done);
        if (n <= 0)
            return;
        done += static_cast<size_t>(n);
    }
}

void PtySession::resize(int rows, int cols)
{
    winsize size {};
    size.ws_row = static_cast<unsigned short>(rows);
    size.ws_col = static_cast<unsigned short>(cols);
    ::ioctl(m_master, TIOCSWINSZ, &size);
    if (m_pid > 0)
        ::kill(m_pid, SIGWINCH);
}

int PtySession::wait(int timeout_ms)
{
    if (m_pid <= 0)
        return -1;
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    bool open = true;
    while (true) {
        int status = 0;
        pid_t done = ::waitpid(m_pid, &status, WNOHANG);
        if (done == m_pid) {
            m_pid = -1;
            // What is left in the terminal.
            for (pollfd p { m_master, POLLIN, 0 }; open && ::poll(&p, 1, 0) > 0;)
                open = read_some(0);
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        if (std::chrono::steady_clock::now() >= end) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, nullptr, 0);
            m_pid = -1;
            return -1;
        }
        if (open)
            open = read_some(50);
        else
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

} // namespace corral::test
