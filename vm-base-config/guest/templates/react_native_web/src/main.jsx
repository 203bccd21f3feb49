import { useState } from 'react';
import { AppRegistry, Pressable, StyleSheet, Text, View } from 'react-native';

function App() {
  const [count, setCount] = useState(0);
  return (
    <View style={styles.screen}>
      <Text style={styles.title}>React Native (web) starter</Text>
      <Text nativeID="rendered-by">Rendered by React Native for Web in your SpinUp workspace</Text>
      <Pressable style={styles.button} onPress={() => setCount(count + 1)}>
        <Text style={styles.buttonText}>pressed {count} times</Text>
      </Pressable>
      <Text>Edit src/main.jsx, then npm install && npm run build.</Text>
    </View>
  );
}

const styles = StyleSheet.create({
  screen: { flex: 1, alignItems: 'center', justifyContent: 'center', padding: 32, gap: 12 },
  title: { fontSize: 28, fontWeight: '600' },
  button: { backgroundColor: '#2563eb', paddingVertical: 8, paddingHorizontal: 16, borderRadius: 6 },
  buttonText: { color: 'white' },
});

AppRegistry.registerComponent('App', () => App);
AppRegistry.runApplication('App', { rootTag: document.getElementById('root') });
