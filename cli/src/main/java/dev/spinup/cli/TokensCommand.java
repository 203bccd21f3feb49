package dev.spinup.cli;

import com.google.protobuf.Duration;
import dev.spinup.api.v1.ApiToken;
import dev.spinup.api.v1.CreateApiTokenRequest;
import dev.spinup.api.v1.CreateApiTokenResponse;
import dev.spinup.api.v1.ListApiTokensRequest;
import dev.spinup.api.v1.ListApiTokensResponse;
import dev.spinup.api.v1.RevokeApiTokenRequest;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "tokens", description = "API tokens (admin scope).")
final class TokensCommand {
    @Spec
    CommandSpec spec;

    @Command(name = "create", description = "Make a token; its secret is printed this once (on stdout).")
    int create(
            @Parameters(paramLabel = "NAME") String name,
            @Option(
                            names = "--scope",
                            required = true,
                            split = ",",
                            description = "workspaces and/or admin (repeatable, or comma-separated).")
                    List<String> scopes,
            @Option(
                            names = "--ttl",
                            converter = Main.Durations.class,
                            description = "Expire after this long (60s to 366 days); default never.")
                    java.time.Duration ttl) {
        try (Session s = Session.of(spec)) {
            CreateApiTokenRequest.Builder r =
                    CreateApiTokenRequest.newBuilder().setName(name).addAllScopes(scopes);
            if (ttl != null) {
                r.setTtl(Duration.newBuilder().setSeconds(ttl.toSeconds()));
            }
            CreateApiTokenResponse made = s.api().createApiToken(r.build());
            if (s.out.json) {
                s.out.json(made);
            } else {
                s.out.line(made.getSecret());
                s.err.println("token " + name + " ("
                        + String.join(",", made.getApiToken().getScopesList()) + ")"
                        + (made.getApiToken().hasExpireTime()
                                ? ", expires " + Output.time(made.getApiToken().getExpireTime())
                                : "")
                        + ": keep the secret now, it is not shown again");
            }
            return 0;
        }
    }

    @Command(name = "list", description = "List tokens (never their secrets).")
    int list(
            @Option(names = "--revoked", description = "Also list revoked tokens.") boolean revoked,
            @Mixin Pages pages) {
        try (Session s = Session.of(spec)) {
            List<ListApiTokensResponse> answers = pages.fetch(
                    s,
                    token -> s.api()
                            .listApiTokens(ListApiTokensRequest.newBuilder()
                                    .setShowRevoked(revoked)
                                    .setPageSize(pages.size)
                                    .setPageToken(token)
                                    .build()),
                    ListApiTokensResponse::getNextPageToken);
            if (pages.printJson(s, answers)) {
                return 0;
            }
            s.out.table(
                    List.of("NAME", "SCOPES", "CREATED", "EXPIRES", "REVOKED", "CREATED_BY"),
                    answers.stream()
                            .flatMap(a -> a.getApiTokensList().stream())
                            .map((ApiToken t) -> List.of(
                                    t.getName(),
                                    String.join(",", t.getScopesList()),
                                    Output.time(t.getCreateTime()),
                                    Output.time(t.getExpireTime()),
                                    Output.time(t.getRevokeTime()),
                                    t.getCreatedBy()))
                            .toList());
            return 0;
        }
    }

    @Command(name = "revoke", description = "Refuse the token from the next call on, on every replica.")
    int revoke(@Parameters(paramLabel = "NAME") String name) {
        try (Session s = Session.of(spec)) {
            ApiToken t = s.api()
                    .revokeApiToken(
                            RevokeApiTokenRequest.newBuilder().setName(name).build())
                    .getApiToken();
            if (s.out.json) {
                s.out.json(t);
            } else {
                s.out.line("revoked " + t.getName() + " at " + Output.time(t.getRevokeTime()));
            }
            return 0;
        }
    }
}
