/**
 * The version tag runit prints at boot (`- runit: $Id: … $: booting.`) and runit-init
 * prints for `-V`. runit prints a version-control tag here; any string is allowed
 * (spec runit.md §2.2).
 */
export const VERSION_ID = "$Id: denit 0.1.0 $";
