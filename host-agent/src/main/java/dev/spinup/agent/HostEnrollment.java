package dev.spinup.agent;

import dev.spinup.api.v1.AgentServiceGrpc;
import dev.spinup.api.v1.EnrollRequest;
import dev.spinup.api.v1.EnrollResponse;
import dev.spinup.api.v1.Envelope;
import io.grpc.ManagedChannel;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * Enrolls this machine as a host: makes a key pair that never leaves it, sends a CSR with the
 * one-time enrollment token (or, on an EC2 instance, its signed instance identity), and writes the
 * certificate the control plane signed. Files written
 * to {@code dir}: host.key (mode 600), host.crt, ca.crt, host-id.
 */
public final class HostEnrollment {
    private HostEnrollment() {}

    public static EnrollResponse enroll(
            String target, Path trustedCa, String token, String fqdn, Envelope total, Path dir) {
        return enroll(
                target, trustedCa, EnrollRequest.newBuilder().setToken(token).build(), fqdn, total, dir);
    }

    /** As above, with {@code proof} the request's token or AWS instance identity. */
    public static EnrollResponse enroll(
            String target, Path trustedCa, EnrollRequest proof, String fqdn, Envelope total, Path dir) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair pair = generator.generateKeyPair();
            String csr = pem(new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + fqdn), pair.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
            ManagedChannel channel = NettyChannelBuilder.forTarget(target)
                    .sslContext(GrpcSslContexts.forClient()
                            .trustManager(trustedCa.toFile())
                            .build())
                    .build();
            EnrollResponse response;
            try {
                response = AgentServiceGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(30, TimeUnit.SECONDS)
                        .enroll(proof.toBuilder()
                                .setCsrPem(csr)
                                .setFqdn(fqdn)
                                .setTotal(total)
                                .build());
            } finally {
                channel.shutdownNow();
            }
            Files.createDirectories(dir);
            write(dir.resolve("host.key"), pem(new JcaPKCS8Generator(pair.getPrivate(), null)), true);
            write(dir.resolve("host.crt"), response.getCertificatePem(), false);
            write(dir.resolve("ca.crt"), response.getCaCertificatePem(), false);
            write(dir.resolve("host-id"), response.getHostId() + "\n", false);
            return response;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot make this host's key or CSR", e);
        }
    }

    private static String pem(Object object) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(object);
        }
        return out.toString();
    }

    private static void write(Path path, String content, boolean secret) throws IOException {
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
        Files.writeString(tmp, content);
        if (secret) {
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        }
        Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
