import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';

function App() {
  const [count, setCount] = useState(0);
  return (
    <main style={{ fontFamily: 'system-ui, sans-serif', maxWidth: '36rem', margin: '4rem auto' }}>
      <h1>React starter</h1>
      <p id="rendered-by">Rendered by React {count === 0 ? 'in your SpinUp workspace' : ''}</p>
      <button onClick={() => setCount(count + 1)}>clicked {count} times</button>
      <p>Edit <code>src/main.jsx</code> in the IDE: this page follows every save.</p>
    </main>
  );
}

createRoot(document.getElementById('root')).render(<StrictMode><App /></StrictMode>);
