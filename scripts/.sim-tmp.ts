import { startSimulator } from "@watermark/simulator";
const sim = await startSimulator({ seed: 9, leagues: 2, seasonsPerLeague: 1, teamsPerLeague: 20, cups: 0, playerDetails: true, timeScale: 0 } as never);
const seasons = [...new Set(sim.truth().fixtures.map((f: { season_id: number }) => f.season_id))];
console.log(JSON.stringify({ baseUrl: sim.baseUrl, apiKey: sim.apiKey, seasons }));
await new Promise((r) => setTimeout(r, 120_000));
await sim.close();
