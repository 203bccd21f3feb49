import { useState } from 'react';

// The app's component, in a module of its own: saving it updates the page in place (React Fast
// Refresh) and keeps its state.
export default function App() {
  const [count, setCount] = useState(0);
  return (
    <main style={{ fontFamily: 'system-ui, sans-serif', maxWidth: '36rem', margin: '4rem auto' }}>
      <h1>React starter</h1>
      <p id="rendered-by">Rendered by React {count === 0 ? 'in your SpinUp workspace' : ''}</p>
      <button onClick={() => setCount(count + 1)}>clicked {count} times</button>
      <p>Edit <code>src/App.jsx</code> in the IDE: this page follows every save.</p>
    </main>
  );
}
