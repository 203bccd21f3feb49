import { useState } from 'react';
import { Pressable, StyleSheet, Text, View } from 'react-native';

// The app's component, in a module of its own: saving it updates the page in place (React Fast
// Refresh) and keeps its state.
export default function App() {
  const [count, setCount] = useState(0);
  return (
    <View style={styles.screen}>
      <Text style={styles.title}>React Native (web) starter</Text>
      <Text nativeID="rendered-by">Rendered by React Native for Web in your SpinUp workspace</Text>
      <Pressable style={styles.button} onPress={() => setCount(count + 1)}>
        <Text style={styles.buttonText}>pressed {count} times</Text>
      </Pressable>
      <Text>Edit src/App.jsx in the IDE: this page follows every save.</Text>
    </View>
  );
}

const styles = StyleSheet.create({
  screen: { flex: 1, alignItems: 'center', justifyContent: 'center', padding: 32, gap: 12 },
  title: { fontSize: 28, fontWeight: '600' },
  button: { backgroundColor: '#2563eb', paddingVertical: 8, paddingHorizontal: 16, borderRadius: 6 },
  buttonText: { color: 'white' },
});
