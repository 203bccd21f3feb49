package dev.spinup.testing;

import static dev.spinup.testing.ApiAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.AccessGrant;
import dev.spinup.api.v1.AccessTarget;
import dev.spinup.api.v1.CreateAccessGrantRequest;
import dev.spinup.api.v1.ErrorReason;
import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.SetSharingRequest;
import dev.spinup.api.v1.Sharing;
import dev.spinup.api.v1.Workspace;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.edge.GrantToken;
import io.grpc.Status;
import java.net.http.HttpResponse;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Private by default, through a host's real Caddy and the agent's verifier: a workspace's names
 * answer 401 with a reason until a browser brings a one-time URL from CreateAccessGrant, which
 * the edge trades for a session cookie bound to that workspace and name. Every way in without a
 * good grant is refused with its own reason; a published app needs none.
 */
class AccessGrantTest {
    // Heartbeats carry the edge's counts and activity: often, so the tests need not wait long.
    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.with(b -> b.agentHeartbeat(Duration.ofMillis(500)));

    static SpinUpCluster cluster;
    static SpinUpCluster.TestHost host;
    static String edge;
    static String ws;
    static String other;

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
        host = cluster.startAgentWithEdge(new Envelope(8, 16, 100), null);
        edge = host.agent().edge().address();
        ws = Workspaces.createActive(cluster.product(), "Private shop");
        other = Workspaces.createActive(cluster.product(), "Someone else's");
    }

    @Test
    void aWorkspaceIsPrivateUntilAGrantOpensItForOneBrowser() {
        Workspace w = workspace(ws);
        assertThat(w.getAppSharing()).isEqualTo(Sharing.SHARING_PRIVATE);
        assertThat(w.getIdeHostname()).isEqualTo(ws + "--ide.workspaces.localhost");

        HttpResponse<String> refused = EdgeHttp.get(edge, "http://" + w.getHostname() + "/", null);
        assertRefused(refused, "GRANT_MISSING");
        assertThat(refused.body()).contains("This workspace is private").contains("Open it again from the app");

        AccessGrant grant = Workspaces.grant(cluster.product(), ws, AccessTarget.ACCESS_TARGET_APP);
        assertThat(grant.getUrl())
                .startsWith("http://" + w.getHostname() + ":" + edge.substring(edge.lastIndexOf(':') + 1) + "/?")
                .contains(GrantToken.QUERY_PARAMETER + "=");
        assertThat(Duration.between(Instant.now(), toInstant(grant.getUrlExpireTime())))
                .isBetween(Duration.ofSeconds(30), Duration.ofSeconds(61));
        assertThat(Duration.between(Instant.now(), toInstant(grant.getSessionExpireTime())))
                .as("the default session")
                .isBetween(Duration.ofMinutes(59), Duration.ofMinutes(61));

        HttpResponse<String> traded = EdgeHttp.get(edge, grant.getUrl(), null);
        assertThat(traded.statusCode()).isEqualTo(302);
        assertThat(traded.headers().firstValue("location")).hasValue("/");
        String setCookie = traded.headers().firstValue("set-cookie").orElseThrow();
        assertThat(setCookie)
                .startsWith("spinup_session=")
                .contains("HttpOnly")
                .contains("SameSite=Lax")
                .contains("Path=/")
                .as("host-only: no Domain, so no other workspace's name ever gets it")
                .doesNotContainIgnoringCase("domain=")
                .as("plain HTTP here: not Secure")
                .doesNotContain("Secure");
        String cookie = EdgeHttp.cookieOf(traded);

        HttpResponse<String> app = EdgeHttp.get(edge, "http://" + w.getHostname() + "/", cookie);
        assertThat(app.statusCode()).isEqualTo(200);
        assertThat(app.body()).contains("Private shop");

        assertRefused(EdgeHttp.get(edge, grant.getUrl(), null), "GRANT_REUSED");
        assertRefused(
                EdgeHttp.get(edge, "http://" + workspace(other).getHostname() + "/", cookie), "GRANT_WRONG_WORKSPACE");
        assertRefused(
                EdgeHttp.get(edge, "http://" + w.getHostname() + "/", cookie.substring(0, cookie.length() - 2) + "xx"),
                "GRANT_SIGNATURE_INVALID");

        // The hosts' checks, counted on the control plane from their heartbeats.
        Eventually.await(
                Duration.ofSeconds(30),
                "the reused grant to be counted",
                () -> Workspaces.metric(
                                cluster.controlPlane().metricsPort(),
                                "spinup_edge_access_checks_total\\{outcome=\"grant_reused\"\\}")
                        .orElse(0),
                n -> n >= 1);
    }

    @Test
    void everyBadGrantIsRefusedWithItsReason() throws Exception {
        String name = workspace(ws).getHostname();
        AccessGrant forOther = Workspaces.grant(cluster.product(), other, AccessTarget.ACCESS_TARGET_APP);
        assertRefused(
                EdgeHttp.get(edge, forOther.getUrl().replace(other + ".", ws + "."), null), "GRANT_WRONG_WORKSPACE");

        AccessGrant good = Workspaces.grant(cluster.product(), ws, AccessTarget.ACCESS_TARGET_APP);
        String url = good.getUrl();
        // one character well inside the signature (the last one may carry only padding bits)
        int at = url.length() - 10;
        String tampered = url.substring(0, at) + (url.charAt(at) == 'A' ? 'B' : 'A') + url.substring(at + 1);
        assertRefused(EdgeHttp.get(edge, tampered, null), "GRANT_SIGNATURE_INVALID");

        // A grant made by someone without the control plane's key: right form, own key.
        Instant later = Instant.now().plusSeconds(60);
        String forged = new GrantToken(signingKeyId(), UUID.randomUUID().toString(), ws, "app", later, later)
                .sign(KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPrivate());
        assertRefused(
                EdgeHttp.get(edge, "http://" + name + "/?" + GrantToken.QUERY_PARAMETER + "=" + forged, null),
                "GRANT_SIGNATURE_INVALID");

        // Signed with the real key, but past its deadline: as if opened two minutes late.
        Instant past = Instant.now().minusSeconds(60);
        String expired = new GrantToken(
                        signingKeyId(), UUID.randomUUID().toString(), ws, "app", past, past.plusSeconds(3600))
                .sign(signingKey());
        assertRefused(
                EdgeHttp.get(edge, "http://" + name + "/?" + GrantToken.QUERY_PARAMETER + "=" + expired, null),
                "GRANT_EXPIRED");

        // An app grant does not open the IDE's name (the IDE is another target).
        String forIde = new GrantToken(signingKeyId(), UUID.randomUUID().toString(), ws, "ide", later, later)
                .sign(signingKey());
        assertRefused(
                EdgeHttp.get(edge, "http://" + name + "/?" + GrantToken.QUERY_PARAMETER + "=" + forIde, null),
                "GRANT_WRONG_WORKSPACE");

        // The good one still works after all that, once.
        assertThat(EdgeHttp.get(edge, url, null).statusCode()).isEqualTo(302);
    }

    @Test
    void aSpentGrantStaysSpentAcrossAnAgentRestart() {
        AccessGrant grant = Workspaces.grant(cluster.product(), ws, AccessTarget.ACCESS_TARGET_APP);
        assertThat(EdgeHttp.get(edge, grant.getUrl(), null).statusCode()).isEqualTo(302);
        host = cluster.restartAgent(host, null, new Envelope(8, 16, 100));
        edge = host.agent().edge().address();
        Eventually.await(
                Duration.ofSeconds(30),
                "the restarted edge to serve the workspace",
                () -> EdgeHttp.get(edge, "http://" + workspace(ws).getHostname() + "/", null),
                r -> "GRANT_MISSING"
                        .equals(r.headers().firstValue("x-spinup-reason").orElse("")));
        assertRefused(EdgeHttp.get(edge, grant.getUrl(), null), "GRANT_REUSED");
    }

    @Test
    void aNewKeyReachesTheEdgesBeforeItSigns() throws Exception {
        String old = signingKeyId();
        // as if the current key had signed for its whole period
        cluster.database()
                .withHandle(h -> h.execute(
                        "UPDATE access_keys SET signs_from = signs_from - interval '24 hours' WHERE key_id = ?", old));
        assertThat(cluster.controlPlane().rotateAccessKeys()).isTrue();
        String next = cluster.database()
                .withHandle(h -> h.createQuery("SELECT key_id FROM access_keys ORDER BY signs_from DESC LIMIT 1")
                        .mapTo(String.class)
                        .one());
        assertThat(next).isNotEqualTo(old);
        PrivateKey nextKey = key(next);

        // Pushed to the host in a routing table of its own, outside any operation: once it is
        // applied, a grant signed with the new key opens, though no replica signs with it yet.
        Eventually.await(
                Duration.ofSeconds(30),
                "the host to apply the table with the new key",
                () -> cluster.database()
                        .withHandle(h -> h.createQuery(
                                        "SELECT count(*) FROM agent_commands WHERE command_id LIKE 'access-keys-' || ? || '%'"
                                                + " AND state = 'succeeded'")
                                .bind(0, next)
                                .mapTo(Integer.class)
                                .one()),
                n -> n == 1);
        Instant later = Instant.now().plusSeconds(60);
        String signed = new GrantToken(next, UUID.randomUUID().toString(), ws, "app", later, later).sign(nextKey);
        assertThat(EdgeHttp.get(
                                edge,
                                "http://" + workspace(ws).getHostname() + "/?" + GrantToken.QUERY_PARAMETER + "="
                                        + signed,
                                null)
                        .statusCode())
                .isEqualTo(302);
        assertThat(Workspaces.grant(cluster.product(), ws, AccessTarget.ACCESS_TARGET_APP)
                        .getUrl())
                .as("replicas sign with the new key only once its time comes; until then, the old one signs")
                .contains("g1." + old + ".");
    }

    @Test
    void aPublishedAppNeedsNoGrantAndThePrivateOneAgainDoes() {
        String name = workspace(ws).getHostname();
        Workspaces.setAppSharing(cluster.product(), ws, Sharing.SHARING_PUBLIC);
        assertThat(workspace(ws).getAppSharing()).isEqualTo(Sharing.SHARING_PUBLIC);
        HttpResponse<String> open = EdgeHttp.get(edge, "http://" + name + "/", null);
        assertThat(open.statusCode()).isEqualTo(200);
        assertThat(open.body()).contains("Private shop");
        assertRefused(EdgeHttp.get(edge, "http://" + workspace(other).getHostname() + "/", null), "GRANT_MISSING");

        Workspaces.setAppSharing(cluster.product(), ws, Sharing.SHARING_PRIVATE);
        assertRefused(EdgeHttp.get(edge, "http://" + name + "/", null), "GRANT_MISSING");

        assertError(
                () -> cluster.product()
                        .setSharing(SetSharingRequest.newBuilder()
                                .setRequestId("req-" + UUID.randomUUID())
                                .setWorkspaceId(ws)
                                .setTarget(AccessTarget.ACCESS_TARGET_IDE)
                                .setSharing(Sharing.SHARING_PUBLIC)
                                .build())
                        .getOperation(),
                Status.Code.INVALID_ARGUMENT,
                ErrorReason.ERROR_REASON_ACCESS_TARGET_INVALID);
    }

    @Test
    void badRequestsGetAReasonAndNeverAGrant() {
        var product = cluster.product();
        assertError(
                () -> product.createAccessGrant(request(UUID.randomUUID().toString(), AccessTarget.ACCESS_TARGET_APP)
                                .build())
                        .getAccessGrant(),
                Status.Code.NOT_FOUND,
                ErrorReason.ERROR_REASON_WORKSPACE_NOT_FOUND);
        assertError(
                () -> product.createAccessGrant(request(ws, AccessTarget.ACCESS_TARGET_UNSPECIFIED)
                                .build())
                        .getAccessGrant(),
                Status.Code.INVALID_ARGUMENT,
                ErrorReason.ERROR_REASON_FIELD_REQUIRED);
        var tooShort = assertError(
                () -> product.createAccessGrant(request(ws, AccessTarget.ACCESS_TARGET_APP)
                                .setTtl(com.google.protobuf.Duration.newBuilder()
                                        .setSeconds(10))
                                .build())
                        .getAccessGrant(),
                Status.Code.INVALID_ARGUMENT,
                ErrorReason.ERROR_REASON_TTL_OUT_OF_RANGE);
        assertThat(tooShort.getMetadataMap()).containsEntry("min", "60").containsEntry("max", "43200");
        assertError(
                () -> product.createAccessGrant(request(ws, AccessTarget.ACCESS_TARGET_APP)
                                .setTtl(com.google.protobuf.Duration.newBuilder()
                                        .setSeconds(13 * 3600))
                                .build())
                        .getAccessGrant(),
                Status.Code.INVALID_ARGUMENT,
                ErrorReason.ERROR_REASON_TTL_OUT_OF_RANGE);
        assertError(
                () -> product.createAccessGrant(
                                request(ws, AccessTarget.ACCESS_TARGET_IDE).build())
                        .getAccessGrant(),
                Status.Code.FAILED_PRECONDITION,
                ErrorReason.ERROR_REASON_ACCESS_TARGET_INVALID);

        String asleep = Workspaces.createActive(product, "Asleep");
        Workspaces.awaitSucceeded(product, Workspaces.request(product, "suspend", asleep));
        var notActive = assertError(
                () -> product.createAccessGrant(
                                request(asleep, AccessTarget.ACCESS_TARGET_APP).build())
                        .getAccessGrant(),
                Status.Code.FAILED_PRECONDITION,
                ErrorReason.ERROR_REASON_WORKSPACE_NOT_ACTIVE);
        assertThat(notActive.getMetadataMap()).containsEntry("state", "suspended");

        // Idempotent: the same request id gives the same URL; with other parameters it is refused.
        CreateAccessGrantRequest once =
                request(ws, AccessTarget.ACCESS_TARGET_APP).build();
        AccessGrant first = product.createAccessGrant(once).getAccessGrant();
        assertThat(product.createAccessGrant(once).getAccessGrant()).isEqualTo(first);
        assertError(
                () -> product.createAccessGrant(once.toBuilder()
                                .setTtl(com.google.protobuf.Duration.newBuilder()
                                        .setSeconds(120))
                                .build())
                        .getAccessGrant(),
                Status.Code.INVALID_ARGUMENT,
                ErrorReason.ERROR_REASON_REQUEST_ID_REUSED);
    }

    @Test
    void lastActiveAtMovesWhenTheAppIsUsedAndOnlyThen() {
        String fresh = Workspaces.createActive(cluster.product(), "Activity");
        String name = workspace(fresh).getHostname();
        assertThat(workspace(fresh).hasLastActiveAt()).as("never used").isFalse();

        assertRefused(EdgeHttp.get(edge, "http://" + name + "/", null), "GRANT_MISSING");
        twoMoreHeartbeats();
        assertThat(workspace(fresh).hasLastActiveAt())
                .as("a refused request is not use")
                .isFalse();

        AccessGrant grant = Workspaces.grant(cluster.product(), fresh, AccessTarget.ACCESS_TARGET_APP);
        String cookie = EdgeHttp.cookieOf(EdgeHttp.get(edge, grant.getUrl(), null));
        assertThat(EdgeHttp.get(edge, "http://" + name + "/", cookie).statusCode())
                .isEqualTo(200);
        com.google.protobuf.Timestamp first = Eventually.await(
                        Duration.ofSeconds(30),
                        "the host to report the workspace used",
                        () -> workspace(fresh),
                        Workspace::hasLastActiveAt)
                .getLastActiveAt();

        twoMoreHeartbeats();
        assertThat(workspace(fresh).getLastActiveAt()).as("unused since").isEqualTo(first);

        assertThat(EdgeHttp.get(edge, "http://" + name + "/", cookie).statusCode())
                .isEqualTo(200);
        Eventually.await(
                Duration.ofSeconds(30),
                "last_active_at to move with the next request",
                () -> toInstant(workspace(fresh).getLastActiveAt()),
                at -> at.isAfter(toInstant(first)));
    }

    @Test
    void aPublishedAppsRequestsMoveLastActiveAtTooAndNeverLogItsUri() throws Exception {
        String published = Workspaces.createActive(cluster.product(), "Published activity");
        String name = workspace(published).getHostname();
        Workspaces.setAppSharing(cluster.product(), published, Sharing.SHARING_PUBLIC);
        twoMoreHeartbeats();
        assertThat(workspace(published).hasLastActiveAt())
                .as("publishing is not use")
                .isFalse();

        // No verifier sees these: Caddy's log of published apps' requests is what the host reads.
        String secret = UUID.randomUUID().toString();
        assertThat(EdgeHttp.get(edge, "http://" + name + "/?token=" + secret, null)
                        .statusCode())
                .isEqualTo(200);
        Eventually.await(
                Duration.ofSeconds(30),
                "the host to report the published app used",
                () -> workspace(published),
                Workspace::hasLastActiveAt);
        java.nio.file.Path log = host.dataDir().resolve("edge/published-access.log");
        assertThat(log).content().contains(name).doesNotContain(secret).doesNotContain("127.0.0.1");
    }

    /** Returns once the host's heartbeats went in twice more: whatever it had to report until now is recorded. */
    private static void twoMoreHeartbeats() {
        java.util.function.Supplier<Instant> last = () -> toInstant(cluster.admin()
                .getHost(dev.spinup.api.v1.GetHostRequest.newBuilder()
                        .setHostId(host.id().toString())
                        .build())
                .getHost()
                .getLastHeartbeatAt());
        Instant now = last.get();
        Instant next = Eventually.await(Duration.ofSeconds(30), "a heartbeat", last, t -> t.isAfter(now));
        Eventually.await(Duration.ofSeconds(30), "another heartbeat", last, t -> t.isAfter(next));
    }

    @Test
    void grantsAndSessionsAppearInNoLog() throws Exception {
        CapturedLog captured = new CapturedLog();
        String token;
        String cookie;
        try {
            AccessGrant grant = Workspaces.grant(cluster.product(), ws, AccessTarget.ACCESS_TARGET_APP);
            token = grant.getUrl().substring(grant.getUrl().indexOf('=') + 1);
            cookie = EdgeHttp.cookieOf(EdgeHttp.get(edge, grant.getUrl(), null));
            assertRefused(EdgeHttp.get(edge, grant.getUrl(), null), "GRANT_REUSED");
            EdgeHttp.get(edge, "http://" + workspace(other).getHostname() + "/", cookie);
        } finally {
            captured.close();
        }
        String secret = token.substring(token.lastIndexOf('.') + 1);
        String session = cookie.substring(cookie.lastIndexOf('.') + 1);
        assertThat(captured.lines())
                .as("the agent logged the refusal")
                .anySatisfy(l -> assertThat(l).contains("reason=GRANT_REUSED"));
        for (String line : captured.lines()) {
            assertThat(line).doesNotContain(secret).doesNotContain(session);
        }
        java.nio.file.Path caddyLog = host.dataDir().resolve("edge/caddy.log");
        if (java.nio.file.Files.exists(caddyLog)) {
            assertThat(java.nio.file.Files.readString(caddyLog))
                    .doesNotContain(secret)
                    .doesNotContain(session);
        }
    }

    private static CreateAccessGrantRequest.Builder request(String workspace, AccessTarget target) {
        return CreateAccessGrantRequest.newBuilder()
                .setRequestId("req-" + UUID.randomUUID())
                .setWorkspaceId(workspace)
                .setTarget(target);
    }

    private static void assertRefused(HttpResponse<String> response, String reason) {
        assertThat(response.statusCode())
                .as("status of a refused request (%s)", reason)
                .isEqualTo(401);
        assertThat(response.headers().firstValue("x-spinup-reason")).hasValue(reason);
        assertThat(response.headers().firstValue("cache-control")).hasValue("no-store");
        assertThat(response.body()).contains(reason);
    }

    private static Workspace workspace(String id) {
        return cluster.product()
                .getWorkspace(
                        GetWorkspaceRequest.newBuilder().setWorkspaceId(id).build())
                .getWorkspace();
    }

    /** The key that signs now: the newest whose signing has begun. */
    private static String signingKeyId() {
        return cluster.database()
                .withHandle(h -> h.createQuery(
                                "SELECT key_id FROM access_keys WHERE signs_from <= now() ORDER BY signs_from DESC LIMIT 1")
                        .mapTo(String.class)
                        .one());
    }

    private static PrivateKey signingKey() throws Exception {
        return key(signingKeyId());
    }

    private static PrivateKey key(String keyId) throws Exception {
        byte[] pkcs8 = cluster.database()
                .withHandle(h -> h.createQuery("SELECT private_key FROM access_keys WHERE key_id = :id")
                        .bind("id", keyId)
                        .mapTo(byte[].class)
                        .one());
        return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    }

    private static Instant toInstant(com.google.protobuf.Timestamp t) {
        return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
    }
}
