export const metadata = { title: 'SpinUp · Next.js starter' };

export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <body style={{ fontFamily: 'system-ui, sans-serif', maxWidth: '36rem', margin: '4rem auto' }}>{children}</body>
    </html>
  );
}
