package dev.spinup.controlplane.api;

import dev.spinup.api.v1.ApiToken;
import dev.spinup.api.v1.CreateApiTokenRequest;
import dev.spinup.api.v1.CreateApiTokenResponse;
import dev.spinup.api.v1.ListApiTokensRequest;
import dev.spinup.api.v1.ListApiTokensResponse;
import dev.spinup.api.v1.RevokeApiTokenRequest;
import dev.spinup.api.v1.RevokeApiTokenResponse;
import dev.spinup.controlplane.auth.ApiTokens;
import dev.spinup.controlplane.auth.Principal;
import dev.spinup.controlplane.core.ErrorReason;
import dev.spinup.controlplane.core.Ids;
import dev.spinup.controlplane.core.SpinUpException;
import dev.spinup.controlplane.store.TokenStore.ApiTokenInfo;
import dev.spinup.controlplane.store.Transactions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * CreateApiToken, ListApiTokens, RevokeApiToken (admin scope). Each change is audited in the same
 * transaction as the change (api_token.created, api_token.revoked), naming the token and the
 * admin who made it; the audit never holds a secret.
 */
final class TokenApi {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Set<String> SCOPES = Set.of(Principal.SCOPE_WORKSPACES, Principal.SCOPE_ADMIN);
    static final Duration MIN_TTL = Duration.ofSeconds(60);
    static final Duration MAX_TTL = Duration.ofDays(366);

    private final Transactions db;
    private final ApiTokens tokens;
    private final Clock clock;

    TokenApi(Transactions db, ApiTokens tokens, Clock clock) {
        this.db = db;
        this.tokens = tokens;
        this.clock = clock;
    }

    CreateApiTokenResponse create(CreateApiTokenRequest request) {
        String name = name(request.getName());
        Set<String> scopes = scopes(request);
        Instant now = clock.instant();
        Instant expires = request.hasTtl() ? now.plus(ttl(request.getTtl())) : null;
        String actor = Principal.current().actor();
        String secret = db.inTransaction(tx -> {
            String made = tokens.create(tx, Ids.newId(clock), name, scopes, now, expires, actor)
                    .orElseThrow(() -> new SpinUpException(
                            SpinUpException.Kind.ALREADY_EXISTS,
                            ErrorReason.API_TOKEN_NAME_TAKEN,
                            "an API token named " + name + " exists (names are never reused, also after a revoke)",
                            Map.of("name", name)));
            tx.audit()
                    .append(
                            null,
                            null,
                            "api_token.created",
                            Map.of(
                                    "name",
                                    name,
                                    "scopes",
                                    String.join(",", scopes.stream().sorted().toList())),
                            actor,
                            now);
            return made;
        });
        return CreateApiTokenResponse.newBuilder()
                .setApiToken(
                        toProto(db.read(tx -> tx.tokens().apiTokenNamed(name)).orElseThrow()))
                .setSecret(secret)
                .build();
    }

    ListApiTokensResponse list(ListApiTokensRequest request) {
        int size = Requests.pageSize(request.getPageSize());
        String after = Requests.afterKey(request);
        var page = Requests.pageAt(
                db.read(tx -> tx.tokens().apiTokens(after, request.getShowRevoked(), size + 1)),
                size,
                ApiTokenInfo::name,
                request);
        return ListApiTokensResponse.newBuilder()
                .addAllApiTokens(page.items().stream().map(TokenApi::toProto).toList())
                .setNextPageToken(page.nextPageToken())
                .build();
    }

    RevokeApiTokenResponse revoke(RevokeApiTokenRequest request) {
        String name = name(request.getName());
        Instant now = clock.instant();
        String actor = Principal.current().actor();
        ApiTokenInfo token = db.inTransaction(tx -> {
            if (tx.tokens().apiTokenNamed(name).isEmpty()) {
                throw SpinUpException.notFound(
                        ErrorReason.API_TOKEN_NOT_FOUND, "name", name, "no API token named " + name);
            }
            if (tx.tokens().revokeApiToken(name, now)) {
                tx.audit().append(null, null, "api_token.revoked", Map.of("name", name), actor, now);
            }
            return tx.tokens().apiTokenNamed(name).orElseThrow();
        });
        return RevokeApiTokenResponse.newBuilder().setApiToken(toProto(token)).build();
    }

    private static String name(String name) {
        if (name.isEmpty()) {
            throw SpinUpException.invalidField(ErrorReason.FIELD_REQUIRED, "name", "name is required");
        }
        if (!NAME.matcher(name).matches()) {
            throw SpinUpException.invalidField(
                    ErrorReason.FIELD_INVALID,
                    "name",
                    "name must be 1-64 of A-Z a-z 0-9 . _ - (got \"" + Requests.printable(name) + "\")");
        }
        return name;
    }

    private static Set<String> scopes(CreateApiTokenRequest request) {
        if (request.getScopesCount() == 0) {
            throw SpinUpException.invalidField(
                    ErrorReason.FIELD_REQUIRED, "scopes", "scopes is required: workspaces and/or admin");
        }
        Set<String> scopes = new LinkedHashSet<>();
        for (String s : request.getScopesList()) {
            if (!SCOPES.contains(s)) {
                throw SpinUpException.invalidField(
                        ErrorReason.FIELD_INVALID,
                        "scopes",
                        "scope \"" + Requests.printable(s) + "\" is not workspaces or admin");
            }
            scopes.add(s);
        }
        return scopes;
    }

    private static Duration ttl(com.google.protobuf.Duration value) {
        return Requests.ttl("ttl", value, MIN_TTL, MAX_TTL, "a token (without a ttl: until revoked)");
    }

    private static ApiToken toProto(ApiTokenInfo t) {
        ApiToken.Builder b = ApiToken.newBuilder()
                .setName(t.name())
                .addAllScopes(t.scopes().stream().sorted().toList())
                .setCreateTime(WorkspaceProtoMapper.timestamp(t.createdAt()))
                .setCreatedBy(t.createdBy());
        if (t.expiresAt() != null) {
            b.setExpireTime(WorkspaceProtoMapper.timestamp(t.expiresAt()));
        }
        if (t.revokedAt() != null) {
            b.setRevokeTime(WorkspaceProtoMapper.timestamp(t.revokedAt()));
        }
        return b.build();
    }
}
