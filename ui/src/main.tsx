// Entry point: mounts the app and connects the store to the backend.

import { render } from "preact";

import { App } from "./App";
import { store } from "./store";
import "./styles.css";

render(<App />, document.getElementById("app") as HTMLElement);
void store.connect();
