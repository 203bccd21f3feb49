package dev.spinup.testing.aws;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/**
 * A test fixture, never production code: what EC2's instance metadata service (IMDSv2) tells an
 * instance about itself, for {@link AutoScalingStub}'s instances. Each gets an identity document
 * (JSON, as EC2 writes it) signed as EC2 signs its {@code rsa2048} one: PKCS#7 signed data with
 * SHA-256 and RSA-2048, the document inside, no certificate — here with a key of this fixture's
 * own, whose certificate the control plane under test is given in place of AWS's.
 */
public final class InstanceIdentities {
    private final KeyPair key;
    private final X509Certificate certificate;
    private final Map<String, String> sessions = new ConcurrentHashMap<>();
    private final Map<String, String> documents = new ConcurrentHashMap<>();

    public InstanceIdentities() {
        try {
            KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
            rsa.initialize(2048);
            key = rsa.generateKeyPair();
            X500Name name = new X500Name("C=US,O=stand-in for Amazon Web Services LLC,CN=instance identity");
            Instant now = Instant.now();
            ContentSigner signer = new JcaContentSignerBuilder("SHA256withRSA").build(key.getPrivate());
            certificate = new JcaX509CertificateConverter()
                    .getCertificate(new JcaX509v3CertificateBuilder(
                                    name,
                                    BigInteger.ONE,
                                    Date.from(now.minus(Duration.ofDays(1))),
                                    Date.from(now.plus(Duration.ofDays(30))),
                                    name,
                                    key.getPublic())
                            .build(signer));
        } catch (GeneralSecurityException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The certificate that verifies the signatures, PEM: what AWS publishes per region. */
    public String certificatePem() {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter pem = new JcaPEMWriter(out)) {
            pem.writeObject(certificate);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** The instance's identity document, with EC2's fields: the same every time it is asked for. */
    public String document(String instanceId, String region) {
        return documents.computeIfAbsent(instanceId, id ->
                """
                {
                  "accountId" : "123456789012",
                  "architecture" : "x86_64",
                  "availabilityZone" : "%sa",
                  "imageId" : "ami-0123456789abcdef0",
                  "instanceId" : "%s",
                  "instanceType" : "m7i.4xlarge",
                  "pendingTime" : "%s",
                  "privateIp" : "10.0.0.7",
                  "region" : "%s",
                  "version" : "2017-09-30"
                }""".formatted(region, id, Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS), region));
    }

    /** The document's {@code rsa2048} signature: base64 PKCS#7 signed data that holds the document. */
    public String rsa2048(String document) {
        try {
            CMSSignedDataGenerator generator = new CMSSignedDataGenerator();
            generator.addSignerInfoGenerator(
                    new JcaSignerInfoGeneratorBuilder(new JcaDigestCalculatorProviderBuilder().build())
                            .build(new JcaContentSignerBuilder("SHA256withRSA").build(key.getPrivate()), certificate));
            byte[] signed = generator
                    .generate(new CMSProcessableByteArray(document.getBytes(StandardCharsets.UTF_8)), true)
                    .getEncoded();
            return Base64.getMimeEncoder().encodeToString(signed);
        } catch (Exception e) {
            throw new IllegalStateException("cannot sign the identity document", e);
        }
    }

    /**
     * Answers IMDSv2 for {@code instanceId}: PUT {@code /latest/api/token} gives a session token;
     * GETs of {@code /latest/dynamic/instance-identity/document} and {@code .../rsa2048} need it.
     */
    void serve(HttpExchange exchange, String instanceId, String region, String path) throws IOException {
        String answer;
        if (exchange.getRequestMethod().equals("PUT") && path.equals("/latest/api/token")) {
            answer = UUID.randomUUID().toString();
            sessions.put(answer, instanceId);
        } else if (!instanceId.equals(
                sessions.get(exchange.getRequestHeaders().getFirst("X-aws-ec2-metadata-token")))) {
            respond(exchange, 401, "");
            return;
        } else if (path.equals("/latest/dynamic/instance-identity/document")) {
            answer = document(instanceId, region);
        } else if (path.equals("/latest/dynamic/instance-identity/rsa2048")) {
            answer = rsa2048(document(instanceId, region));
        } else {
            respond(exchange, 404, "");
            return;
        }
        respond(exchange, 200, answer);
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (var out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
