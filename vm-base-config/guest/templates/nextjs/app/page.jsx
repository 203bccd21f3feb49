import Counter from './counter';

export default function Home() {
  return (
    <main>
      <h1>Next.js starter</h1>
      <Counter />
      <p>Edit <code>app/page.jsx</code> in the IDE: this page follows every save.</p>
    </main>
  );
}
