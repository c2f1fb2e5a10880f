/**
 * Requests as a user would make them, each with the one tool (exposed name, toolPrefix
 * `always`) that answers it. Written from what each tool does, not from its name: most avoid
 * the words of the tool's name, as a person would.
 */
export const QUERIES: readonly { query: string; tool: string }[] = [
  // GitHub
  { query: 'open a pull request on github to merge my feature branch', tool: 'github__create_pull_request' },
  { query: 'merge the approved PR on GitHub', tool: 'github__merge_pull_request' },
  { query: 'which files changed in this github pull request', tool: 'github__get_pull_request_files' },
  { query: 'leave a review with comments on a GitHub PR', tool: 'github__create_pull_request_review' },
  { query: 'find GitHub repositories about vector databases', tool: 'github__search_repositories' },
  { query: 'show the recent commits of a github repo', tool: 'github__list_commits' },
  { query: 'comment on a github issue', tool: 'github__add_issue_comment' },
  { query: 'search source code across GitHub for a function name', tool: 'github__search_code' },
  { query: 'fork a github repository to my account', tool: 'github__fork_repository' },
  { query: 'close or relabel an existing github issue', tool: 'github__update_issue' },
  { query: 'find github users named alice', tool: 'github__search_users' },
  { query: 'have the CI checks passed on my github pull request', tool: 'github__get_pull_request_status' },
  // GitLab
  { query: 'open a merge request in gitlab', tool: 'gitlab__create_merge_request' },
  { query: 'new branch in my gitlab project', tool: 'gitlab__create_branch' },
  { query: 'report a bug as an issue on gitlab', tool: 'gitlab__create_issue' },
  { query: 'commit several files at once to a gitlab project', tool: 'gitlab__push_files' },
  // Slack
  { query: 'post a message to the team slack channel', tool: 'slack__slack_post_message' },
  { query: 'react with a thumbs up emoji to a slack message', tool: 'slack__slack_add_reaction' },
  { query: 'answer in a slack thread', tool: 'slack__slack_reply_to_thread' },
  { query: 'what are the latest messages in a slack channel', tool: 'slack__slack_get_channel_history' },
  { query: 'which channels exist in our slack workspace', tool: 'slack__slack_list_channels' },
  { query: 'get the profile of a slack user', tool: 'slack__slack_get_user_profile' },
  // Google Maps
  { query: 'convert a street address to latitude and longitude', tool: 'maps__maps_geocode' },
  { query: 'what address is at these coordinates', tool: 'maps__maps_reverse_geocode' },
  { query: 'find coffee shops near the station', tool: 'maps__maps_search_places' },
  { query: 'driving directions from Berlin to Munich', tool: 'maps__maps_directions' },
  { query: 'travel time and distance between several origins and destinations', tool: 'maps__maps_distance_matrix' },
  { query: 'how high above sea level is this location', tool: 'maps__maps_elevation' },
  { query: 'opening hours and rating of a place', tool: 'maps__maps_place_details' },
  // Notion
  { query: 'search my notion workspace for meeting notes', tool: 'notion__API-post-search' },
  { query: 'create a new page in notion', tool: 'notion__API-post-page' },
  { query: 'add a comment to a notion page', tool: 'notion__API-create-a-comment' },
  { query: 'query the rows of a notion data source with a filter', tool: 'notion__API-query-data-source' },
  { query: 'get a notion page as markdown', tool: 'notion__API-retrieve-page-markdown' },
  { query: 'append blocks of content to a notion page', tool: 'notion__API-patch-block-children' },
  { query: 'move a notion page under another parent', tool: 'notion__API-move-page' },
  { query: 'list all users in the notion workspace', tool: 'notion__API-get-users' },
  // Filesystem
  { query: 'read the contents of a text file', tool: 'filesystem__read_text_file' },
  { query: 'save this text into a new file on disk', tool: 'filesystem__write_file' },
  { query: 'make a new folder', tool: 'filesystem__create_directory' },
  { query: 'show what is inside a folder', tool: 'filesystem__list_directory' },
  { query: 'rename a file', tool: 'filesystem__move_file' },
  { query: 'find files matching a glob pattern', tool: 'filesystem__search_files' },
  { query: 'size and modification time of a file', tool: 'filesystem__get_file_info' },
  { query: 'recursive tree view of a directory as JSON', tool: 'filesystem__directory_tree' },
  { query: 'replace some lines in a file and show the diff', tool: 'filesystem__edit_file' },
  { query: 'open an image file and return it as base64', tool: 'filesystem__read_media_file' },
  { query: 'which directories am I allowed to access', tool: 'filesystem__list_allowed_directories' },
  // Memory (knowledge graph)
  { query: 'remember new people and projects in the knowledge graph', tool: 'memory__create_entities' },
  { query: 'record that alice works on project x as a relation', tool: 'memory__create_relations' },
  { query: 'add facts to an existing entity in memory', tool: 'memory__add_observations' },
  { query: 'dump the whole knowledge graph', tool: 'memory__read_graph' },
  { query: 'look up nodes in memory that mention kubernetes', tool: 'memory__search_nodes' },
  { query: 'forget an entity and its relations', tool: 'memory__delete_entities' },
  // Sequential thinking
  { query: 'think through a hard problem step by step, revising earlier thoughts', tool: 'thinking__sequentialthinking' },
  // Everything (reference server)
  { query: 'echo back my input', tool: 'everything__echo' },
  { query: 'add two numbers', tool: 'everything__get-sum' },
  { query: 'print the environment variables of the server', tool: 'everything__get-env' },
  { query: 'run a long operation that reports progress', tool: 'everything__trigger-long-running-operation' },
  { query: 'compress a file with gzip and return it as a resource', tool: 'everything__gzip-file-as-resource' },
  { query: 'return a small test image', tool: 'everything__get-tiny-image' },
];
