export async function benchDatapath(): Promise<void> {}
