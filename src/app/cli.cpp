#include "app/cli.hpp"

#include <cstdlib>
#include <iostream>
#include <map>
#include <string_view>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "app/config.hpp"
#include "app/logging.hpp"
#include "app/release_cli.hpp"
#include "app/serve.hpp"
#include "auth/jwt.hpp"
#include "core/redact.hpp"
#include "core/time_format.hpp"

extern char** environ;

namespace beacon::app {
namespace {

std::map<std::string, std::string> environment() {
    std::map<std::string, std::string> env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        std::string_view kv(*e);
        auto eq = kv.find('=');
        if (eq != std::string_view::npos) {
            env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
        }
    }
    return env;
}

void add_setting_flags(CLI::App* cmd, std::map<std::string, std::string>& flags, std::string& config_file) {
    cmd->add_option("--config", config_file, "TOML configuration file");
    for (const Setting& setting : settings()) {
        if (!setting.command_line) {
            continue;
        }
        const std::string key(setting.key);
        cmd->add_option_function<std::string>(
            std::string(setting.flag),
            [&flags, key](const std::string& v) { flags[key] = v; },
            std::string(setting.help) + "; overrides " + std::string(setting.env));
    }
}

Result<Config> load(const std::map<std::string, std::string>& flags, const std::string& config_file) {
    std::optional<std::filesystem::path> toml;
    if (!config_file.empty()) {
        toml = config_file;
    }
    return resolve_config(flags, environment(), toml);
}

}  // namespace

std::string console_link(const std::string& public_url,
                         const std::string& listen_host,
                         std::uint16_t listen_port,
                         const std::string& token) {
    std::string base = public_url;
    if (base.empty()) {
        std::string host = listen_host;
        if (host.empty() || host == "0.0.0.0" || host == "::") {
            host = "localhost";
        } else if (host.find(':') != std::string::npos) {
            host = "[" + host + "]";
        }
        base = "http://" + host + ":" + std::to_string(listen_port);
    }
    while (!base.empty() && base.back() == '/') {
        base.pop_back();
    }
    return base + "/console/#token=" + token;
}

int run_cli(int argc, char** argv) {
    CLI::App cli{"Beacon: telemetry and releases backend for mobile apps"};
    cli.require_subcommand(1);
    std::map<std::string, std::string> flags;
    std::string config_file;

    auto* serve_cmd = cli.add_subcommand("serve", "Serve the HTTP API (embedded default with no configuration)");
    add_setting_flags(serve_cmd, flags, config_file);
    auto* migrate_cmd = cli.add_subcommand("migrate", "Apply database migrations and exit");
    add_setting_flags(migrate_cmd, flags, config_file);

    auto* token_cmd = cli.add_subcommand("token", "Print a signed token, alone on one line");
    bool admin = false;
    std::string ttl_text = "12h";
    std::string subject = "admin";
    token_cmd->add_flag("--admin", admin, "give the token the admin role")->required();
    token_cmd->add_option("--ttl", ttl_text, "lifetime: seconds or 90s, 15m, 24h, 7d (default 12h)");
    token_cmd->add_option("--sub", subject, "the token's subject (default admin)");
    bool console = false;
    token_cmd->add_flag("--console",
                        console,
                        "print a one-time sign-in link to the web console (<public base>/console/#token=...) "
                        "instead of the bare token");
    add_setting_flags(token_cmd, flags, config_file);

    auto* release_cmd = cli.add_subcommand("release", "Manage app releases on a running server");
    release_cmd->require_subcommand(1);
    auto* publish_cmd = release_cmd->add_subcommand(
        "publish", "Upload an APK or IPA, create the version it declares, print it as JSON");
    PublishOptions publish;
    std::string channel, changelog;
    int rollout = 100;
    publish_cmd->add_option("file", publish.file, "the APK or IPA")->required();
    publish_cmd->add_option("--server", publish.server, "the server's base URL, e.g. https://beacon.example.com")
        ->required();
    publish_cmd->add_option("--token", publish.token, "an admin token (beacon token --admin)")->required();
    auto* channel_opt = publish_cmd->add_option("--channel", channel, "release channel (default stable)");
    auto* changelog_opt = publish_cmd->add_option("--changelog", changelog, "release notes");
    publish_cmd->add_flag("--force", publish.force, "make the update mandatory");
    auto* rollout_opt =
        publish_cmd->add_option("--rollout", rollout, "staged rollout percentage, 0 to 100")->check(CLI::Range(0, 100));

    RolloutOptions rollout_options;
    std::int64_t if_match = 0;
    std::vector<std::pair<CLI::App*, CLI::Option*>> rollout_cmds;
    for (const auto& [verb, what] : {std::pair{"status", "Print a version's rollout (plan, state, decisions) as JSON"},
                                     std::pair{"pause", "Pause a running rollout at its current step"},
                                     std::pair{"resume", "Resume a paused or halted rollout from its current step"},
                                     std::pair{"advance", "Take a rollout's next step now"}}) {
        auto* cmd = release_cmd->add_subcommand(verb, what);
        cmd->add_option("id", rollout_options.version_id, "the version's id")->required();
        cmd->add_option("--server", rollout_options.server, "the server's base URL")->required();
        cmd->add_option("--token", rollout_options.token, "an admin token (beacon token --admin)")->required();
        CLI::Option* match = nullptr;
        if (std::string_view(verb) != "status") {
            match = cmd->add_option("--if-match", if_match, "only if the version is at this revision (its ETag)");
        }
        rollout_cmds.emplace_back(cmd, match);
    }

    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return cli.exit(e);
    }

    if (publish_cmd->parsed()) {
        if (channel_opt->count() > 0) {
            publish.channel = channel;
        }
        if (changelog_opt->count() > 0) {
            publish.changelog = changelog;
        }
        if (rollout_opt->count() > 0) {
            publish.rollout = rollout;
        }
        return publish_release(publish);
    }
    for (const auto& [cmd, match] : rollout_cmds) {
        if (cmd->parsed()) {
            rollout_options.verb = cmd->get_name();
            if (match != nullptr && match->count() > 0) {
                rollout_options.if_match = if_match;
            }
            return rollout_command(rollout_options);
        }
    }

    auto config = load(flags, config_file);
    if (!config) {
        // Config errors quote URLs redacted already; this also hides what
        // a shape we did not foresee may carry.
        std::cerr << "beacon: " << redact_secrets(config.error().message) << "\n";
        return 2;
    }
    setup_logging(config->log_format);

    if (serve_cmd->parsed()) {
        return serve(std::move(*config));
    }
    if (migrate_cmd->parsed()) {
        return migrate(*config);
    }
    // token
    auto ttl = parse_duration_seconds(ttl_text);
    if (!ttl) {
        std::cerr << "beacon: --ttl: expected a duration such as 90s, 15m, 24h; got '" << ttl_text << "'\n";
        return 2;
    }
    if (auto r = ensure_jwt_secret(*config); !r) {
        std::cerr << "beacon: " << r.error().message << "\n";
        return 2;
    }
    auto token = auth::issue_token(config->jwt_secret, subject, admin, std::chrono::seconds(*ttl), SystemClock().now());
    if (!token) {
        std::cerr << "beacon: " << token.error().message << "\n";
        return 2;
    }
    if (console) {
        std::cout << console_link(config->public_url, config->listen_host, config->listen_port, *token) << std::endl;
    } else {
        std::cout << *token << std::endl;
    }
    spdlog::shutdown();
    return 0;
}

}  // namespace beacon::app
