'use client';
import { useEffect, useState } from 'react';

export default function Counter() {
  const [hydrated, setHydrated] = useState(false);
  const [count, setCount] = useState(0);
  useEffect(() => setHydrated(true), []);
  return (
    <>
      <p id="rendered-by">{hydrated ? 'Rendered by Next.js in your SpinUp workspace' : 'Loading…'}</p>
      <button onClick={() => setCount(count + 1)}>clicked {count} times</button>
    </>
  );
}
