// Process entry: filled in by the trust-gate work.
console.log('psd2-gateway: not wired yet');
