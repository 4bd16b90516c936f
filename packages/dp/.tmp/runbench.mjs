const { runDpBench } = await import('/work/main/scripts/dist/bench/dp.js');
await runDpBench(process.argv.slice(2));
