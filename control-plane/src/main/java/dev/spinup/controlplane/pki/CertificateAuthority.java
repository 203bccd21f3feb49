package dev.spinup.controlplane.pki;

import dev.spinup.controlplane.fleet.HostCertificates;
import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The control plane's CA (EC P-256). It signs the server's certificate and every host's client
 * certificate; a host certificate's subject CN is the host id, which is the host's identity.
 */
public final class CertificateAuthority implements HostCertificates {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration CA_LIFETIME = Duration.ofDays(3650);
    private static final Duration LEAF_LIFETIME = Duration.ofDays(397);

    private final X509Certificate certificate;
    private final PrivateKey key;
    private final Clock clock;

    private CertificateAuthority(X509Certificate certificate, PrivateKey key, Clock clock) {
        this.certificate = certificate;
        this.key = key;
        this.clock = clock;
    }

    /** A certificate and its private key, PEM encoded. */
    public record Issued(String certificatePem, String privateKeyPem) {
        public void writeTo(Path certificate, Path privateKey) {
            writeAtomically(certificate, certificatePem, false);
            writeAtomically(privateKey, privateKeyPem, true);
        }
    }

    /** Loads {@code dir/ca.crt} and {@code dir/ca.key}, creating them on first use. */
    public static CertificateAuthority loadOrCreate(Path dir, String name, Clock clock) {
        Path crt = dir.resolve("ca.crt");
        Path key = dir.resolve("ca.key");
        try {
            if (Files.exists(crt) && Files.exists(key)) {
                return new CertificateAuthority(readCertificate(crt), readPrivateKey(key), clock);
            }
            Files.createDirectories(dir);
            KeyPair pair = newKeyPair();
            Instant now = clock.instant();
            X500Name subject = new X500Name("CN=" + name);
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                    subject,
                    serial(),
                    Date.from(now.minus(Duration.ofMinutes(5))),
                    Date.from(now.plus(CA_LIFETIME)),
                    subject,
                    pair.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            builder.addExtension(
                    Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
            X509Certificate cert = convert(builder.build(signer(pair.getPrivate())));
            CertificateAuthority ca = new CertificateAuthority(cert, pair.getPrivate(), clock);
            new Issued(pem(cert), pem(pair.getPrivate())).writeTo(crt, key);
            return ca;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot create the CA", e);
        }
    }

    /** Loads an existing CA (certificate and PKCS#8 key, PEM). */
    public static CertificateAuthority load(Path certificate, Path key, Clock clock) {
        try {
            return new CertificateAuthority(readCertificate(certificate), readPrivateKey(key), clock);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot read the CA certificate " + certificate, e);
        }
    }

    /**
     * Signs a host certificate for the key in {@code csrPem}, after checking the CSR's own
     * signature (the requester holds the private key). The CSR's subject is ignored: the host's
     * identity is {@code hostId}, chosen by the control plane.
     */
    @Override
    public String signHostCsr(UUID hostId, String csrPem) {
        try (PEMParser parser = new PEMParser(new java.io.StringReader(csrPem))) {
            Object parsed = parser.readObject();
            if (!(parsed instanceof org.bouncycastle.pkcs.PKCS10CertificationRequest csr)) {
                throw new IllegalArgumentException("not a PEM certificate signing request");
            }
            var jca = new org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest(csr);
            if (!csr.isSignatureValid(new org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder()
                    .build(jca.getPublicKey()))) {
                throw new IllegalArgumentException("the CSR's signature does not verify");
            }
            return pem(signHost(hostId, jca.getPublicKey()));
        } catch (IOException
                | GeneralSecurityException
                | OperatorCreationException
                | org.bouncycastle.pkcs.PKCSException
                | ClassCastException e) {
            throw new IllegalArgumentException("unreadable CSR: " + e.getMessage(), e);
        }
    }

    @Override
    public String certificatePem() {
        return pem(certificate);
    }

    /** A TLS server certificate for the given DNS names and IP addresses. */
    public Issued issueServer(List<String> dnsNames, List<String> ipAddresses) {
        KeyPair pair = newKeyPair();
        List<GeneralName> names = new ArrayList<>();
        dnsNames.forEach(n -> names.add(new GeneralName(GeneralName.dNSName, n)));
        ipAddresses.forEach(ip -> names.add(new GeneralName(GeneralName.iPAddress, ip)));
        X509Certificate cert = sign(
                new X500Name("CN=" + dnsNames.getFirst()),
                pair.getPublic(),
                KeyPurposeId.id_kp_serverAuth,
                new GeneralNames(names.toArray(GeneralName[]::new)));
        return new Issued(pem(cert), pem(pair.getPrivate()));
    }

    /** A client certificate (with a new key) identifying host {@code hostId}. */
    public Issued issueHost(UUID hostId) {
        KeyPair pair = newKeyPair();
        return new Issued(pem(signHost(hostId, pair.getPublic())), pem(pair.getPrivate()));
    }

    /** A client certificate identifying host {@code hostId} for a key the host keeps (from its CSR). */
    public X509Certificate signHost(UUID hostId, PublicKey publicKey) {
        return sign(new X500Name("CN=" + hostId), publicKey, KeyPurposeId.id_kp_clientAuth, null);
    }

    private X509Certificate sign(X500Name subject, PublicKey publicKey, KeyPurposeId purpose, GeneralNames sans) {
        try {
            Instant now = clock.instant();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                    certificate,
                    serial(),
                    Date.from(now.minus(Duration.ofMinutes(5))),
                    Date.from(now.plus(LEAF_LIFETIME)),
                    subject,
                    publicKey);
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
            builder.addExtension(
                    Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate));
            if (sans != null) {
                builder.addExtension(Extension.subjectAlternativeName, false, sans);
            }
            return convert(builder.build(signer(key)));
        } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot sign a certificate for " + subject, e);
        }
    }

    /** The addresses a development server certificate should cover. */
    public static List<String> localIpAddresses() {
        List<String> ips = new ArrayList<>(List.of("127.0.0.1", "::1"));
        try {
            String local = InetAddress.getLocalHost().getHostAddress();
            if (!ips.contains(local)) {
                ips.add(local);
            }
        } catch (IOException e) {
            // no resolvable host name: loopback only
        }
        return ips;
    }

    private static KeyPair newKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ContentSigner signer(PrivateKey key) throws OperatorCreationException {
        return new JcaContentSignerBuilder("SHA256withECDSA").build(key);
    }

    private static BigInteger serial() {
        return new BigInteger(159, RANDOM);
    }

    private static X509Certificate convert(X509CertificateHolder holder) throws GeneralSecurityException {
        return new JcaX509CertificateConverter().getCertificate(holder);
    }

    public static String pem(Object object) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            // Private keys as PKCS#8 ("PRIVATE KEY"), the form Netty's SslContextBuilder reads.
            if (object instanceof PrivateKey k) {
                writer.writeObject(new JcaPKCS8Generator(k, null));
            } else {
                writer.writeObject(object);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    public static X509Certificate readCertificate(Path path) throws IOException, GeneralSecurityException {
        try (Reader reader = Files.newBufferedReader(path);
                PEMParser parser = new PEMParser(reader)) {
            return convert((X509CertificateHolder) parser.readObject());
        }
    }

    public static PrivateKey readPrivateKey(Path path) throws IOException {
        try (Reader reader = Files.newBufferedReader(path);
                PEMParser parser = new PEMParser(reader)) {
            return new JcaPEMKeyConverter().getPrivateKey((PrivateKeyInfo) parser.readObject());
        }
    }

    static void writeAtomically(Path path, String content, boolean secret) {
        try {
            Files.createDirectories(path.toAbsolutePath().getParent());
            Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
            Files.writeString(tmp, content);
            if (secret) {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            }
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
