package dev.spinup.testing;

import static dev.spinup.testing.ApiAssertions.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.AddDomainRequest;
import dev.spinup.api.v1.CertState;
import dev.spinup.api.v1.Domain;
import dev.spinup.api.v1.DomainKind;
import dev.spinup.api.v1.ErrorReason;
import dev.spinup.api.v1.ListDomainsRequest;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.RemoveDomainRequest;
import dev.spinup.controlplane.core.Envelope;
import dev.spinup.edge.EdgeSettings;
import io.grpc.Status;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Custom domains on an HTTPS edge (Caddy's internal issuer, as dev and tests use): AddDomain
 * routes the name, the host's agent sees Caddy serve a certificate for it and reports it, and the
 * API shows cert_state ISSUED; the certificate verifies against Caddy's local root. RemoveDomain
 * takes the name off the edge. A name routed to one workspace is refused to another.
 */
class CustomDomainTest {
    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.defaults();

    static SpinUpCluster cluster;
    static SpinUpCluster.TestHost host;

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
        host = cluster.startAgentWithEdge(new Envelope(4, 8, 50), null, EdgeSettings.Tls.INTERNAL);
    }

    @Test
    void aCustomDomainGetsACertificateAndIsServedOverHttps() throws Exception {
        Operation create = cluster.product()
                .createWorkspace(Workspaces.hobby("Shop").build())
                .getOperation();
        Workspaces.awaitSucceeded(cluster.product(), create);
        String ws = create.getWorkspaceId();

        Workspaces.awaitSucceeded(
                cluster.product(),
                cluster.product()
                        .addDomain(AddDomainRequest.newBuilder()
                                .setRequestId("add-" + UUID.randomUUID())
                                .setWorkspaceId(ws)
                                .setDomain("Shop.Example.TEST")
                                .build())
                        .getOperation());

        Domain custom = Eventually.await(
                Duration.ofSeconds(60),
                "the certificate to be reported issued",
                () -> domains(ws).stream()
                        .filter(d -> d.getKind() == DomainKind.DOMAIN_KIND_CUSTOM)
                        .findFirst()
                        .orElseThrow(),
                d -> d.getCertState() == CertState.CERT_STATE_ISSUED);
        assertThat(custom.getDomain()).isEqualTo("shop.example.test");
        assertThat(custom.hasCertIssuedAt()).isTrue();
        assertThat(domains(ws)).extracting(Domain::getKind).contains(DomainKind.DOMAIN_KIND_DEFAULT_SUBDOMAIN);

        assertThat(httpsGet("shop.example.test"))
                .as("private until published, over HTTPS too")
                .startsWith("HTTP/1.1 401")
                .containsIgnoringCase("x-spinup-reason: GRANT_MISSING");
        Workspaces.setAppSharing(cluster.product(), ws, dev.spinup.api.v1.Sharing.SHARING_PUBLIC);
        String response = httpsGet("shop.example.test");
        assertThat(response).startsWith("HTTP/1.1 200").contains("Shop");

        Operation other = cluster.product()
                .createWorkspace(Workspaces.hobby("Other").build())
                .getOperation();
        Workspaces.awaitSucceeded(cluster.product(), other);
        assertError(
                () -> cluster.product()
                        .addDomain(AddDomainRequest.newBuilder()
                                .setRequestId("steal")
                                .setWorkspaceId(other.getWorkspaceId())
                                .setDomain("shop.example.test")
                                .build())
                        .getOperation(),
                Status.Code.ALREADY_EXISTS,
                ErrorReason.ERROR_REASON_DOMAIN_TAKEN);

        Workspaces.awaitSucceeded(
                cluster.product(),
                cluster.product()
                        .removeDomain(RemoveDomainRequest.newBuilder()
                                .setRequestId("rm-" + UUID.randomUUID())
                                .setWorkspaceId(ws)
                                .setDomain("shop.example.test")
                                .build())
                        .getOperation());
        assertThat(domains(ws)).extracting(Domain::getKind).containsExactly(DomainKind.DOMAIN_KIND_DEFAULT_SUBDOMAIN);
        assertThat(routed("shop.example.test"))
                .as("the edge no longer answers for the removed name")
                .isFalse();
        assertError(
                () -> cluster.product()
                        .removeDomain(RemoveDomainRequest.newBuilder()
                                .setRequestId("rm-again")
                                .setWorkspaceId(ws)
                                .setDomain("shop.example.test")
                                .build())
                        .getOperation(),
                Status.Code.NOT_FOUND,
                ErrorReason.ERROR_REASON_DOMAIN_NOT_FOUND);
    }

    private static List<Domain> domains(String ws) {
        return cluster.product()
                .listDomains(ListDomainsRequest.newBuilder().setWorkspaceId(ws).build())
                .getDomainsList();
    }

    private static boolean routed(String name) {
        try {
            return httpsGet(name).startsWith("HTTP/1.1 200");
        } catch (Exception e) {
            return false; // no certificate for the name any more: the handshake fails
        }
    }

    /** GET / over TLS with SNI {@code name}, trusting only Caddy's local root on this host. */
    private static String httpsGet(String name) throws Exception {
        String[] edge = host.agent().edge().address().split(":");
        try (SSLSocket socket =
                (SSLSocket) trustCaddyRoot().getSocketFactory().createSocket(edge[0], Integer.parseInt(edge[1]))) {
            socket.setSoTimeout(10_000);
            SSLParameters params = socket.getSSLParameters();
            params.setServerNames(List.of(new SNIHostName(name)));
            params.setEndpointIdentificationAlgorithm("HTTPS");
            socket.setSSLParameters(params);
            socket.getOutputStream()
                    .write(("GET / HTTP/1.1\r\nHost: " + name + "\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static SSLContext trustCaddyRoot() throws Exception {
        Path root = host.dataDir().resolve("edge/xdg-data/caddy/pki/authorities/local/root.crt");
        X509Certificate ca;
        try (InputStream in = Files.newInputStream(root)) {
            ca = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        trust.setCertificateEntry("caddy-local-root", ca);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }
}
